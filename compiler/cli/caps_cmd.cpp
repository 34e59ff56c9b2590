// PLACEHOLDER (issue 14): replaced by the helper that owns `policyc caps`.
#include "compiler/cli/commands.hpp"

namespace policy::cli {

int cmd_caps(const std::vector<std::string>&) {
  throw UsageError("not implemented yet");
}

}  // namespace policy::cli
