// `policyrun top`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int top_command(int, char**) {
  throw Error("policyrun top: not implemented yet");
}
}  // namespace policy::cli
