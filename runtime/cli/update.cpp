// `policyrun update`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int update_command(int, char**) {
  throw Error("policyrun update: not implemented yet");
}
}  // namespace policy::cli
