// Resource limits (setrlimit) from the policy's process section.
#pragma once

#include <vector>

#include "compiler/ir/runtime_plan.hpp"

namespace policy::launch::rlimits {

void apply(const std::vector<ir::Rlimit>& limits);

}  // namespace policy::launch::rlimits
