// `policyrun stats`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int stats_command(int, char**) {
  throw Error("policyrun stats: not implemented yet");
}
}  // namespace policy::cli
