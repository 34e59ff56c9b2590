// Which rules of a policy the AppArmor profile enforces (for `policyc compile --report` and for
// policyrun's message when the kernel has no AppArmor).
#pragma once

#include <vector>

#include "compiler/ir/policy.hpp"
#include "compiler/ir/rule_coverage.hpp"

namespace policy::apparmor {

// One entry per filesystem, mount, signal, ptrace, socket, port and scope rule, in policy order.
std::vector<RuleCoverage> apparmor_coverage(const ir::Policy& policy);

}  // namespace policy::apparmor
