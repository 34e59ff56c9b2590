// `policyrun exec`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int exec_command(int, char**) {
  throw Error("policyrun exec: not implemented yet");
}
}  // namespace policy::cli
