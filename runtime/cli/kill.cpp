// `policyrun kill`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int kill_command(int, char**) {
  throw Error("policyrun kill: not implemented yet");
}
}  // namespace policy::cli
