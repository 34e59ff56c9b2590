// The policy of the `org.policyrun.policy` annotation enforced on top of an OCI config: the
// result is never wider than either (docs/oci-runtime.md, "The policy annotation").
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/oci/config.hpp"

namespace policy::oci {

// When c.annotations names a policy: compiles it (throws policy::Error with its diagnostics when
// it cannot be read or compiled), narrows c.policy by it, appends its seccomp program to
// c.filters and says what it changed in c.report. Nothing when there is no annotation.
void apply_annotation_policy(ContainerConfig& c);

// The process fields of `overlay` over `target` (an exec'd process's): capabilities
// intersected, rlimits lowered, no_new_privileges or-ed.
void narrow_process(ir::Policy& target, const ir::Policy& overlay,
                    std::vector<std::string>& report);

}  // namespace policy::oci
