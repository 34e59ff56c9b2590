// Postures of what policyc reads from files: a compiled policy, and the profiles of other tools
// (a Docker/OCI seccomp JSON, an AppArmor profile) imported through compiler/importer with the
// runtime defaults they leave to the engine said as assumptions.
#pragma once

#include <string>

#include "compiler/audit/posture.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::audit {

// The posture a container started from `policy` has: its seccomp filter compiled with `options`,
// every other layer from the IR, each fact located at the rule that sets it.
Posture posture_of_policy(const ir::Policy& policy, const driver::SeccompOptions& options,
                          const std::string& subject);

}  // namespace policy::audit
