// `policyrun rm`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int rm_command(int, char**) {
  throw Error("policyrun rm: not implemented yet");
}
}  // namespace policy::cli
