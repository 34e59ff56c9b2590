// `policyrun logs`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int logs_command(int, char**) {
  throw Error("policyrun logs: not implemented yet");
}
}  // namespace policy::cli
