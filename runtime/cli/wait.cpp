// `policyrun wait`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int wait_command(int, char**) {
  throw Error("policyrun wait: not implemented yet");
}
}  // namespace policy::cli
