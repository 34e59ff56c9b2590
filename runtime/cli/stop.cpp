// `policyrun stop`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int stop_command(int, char**) {
  throw Error("policyrun stop: not implemented yet");
}
}  // namespace policy::cli
