// `policyrun inspect`: placeholder until its implementation lands (issue 13).
#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"

namespace policy::cli {
int inspect_command(int, char**) {
  throw Error("policyrun inspect: not implemented yet");
}
}  // namespace policy::cli
