// `policyrun ps`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int ps_command(int, char**) {
  throw Error("policyrun ps: not implemented yet");
}
}  // namespace policy::cli
