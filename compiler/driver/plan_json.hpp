// The runtime plan (namespaces, root filesystem, mounts, cgroup limits, process attributes) as
// JSON, for review and for tools: what policyrun will build around the process.
#pragma once

#include <nlohmann/json.hpp>

#include "compiler/ir/policy.hpp"

namespace policy::driver {

nlohmann::json plan_to_json(const ir::Policy& policy);

}  // namespace policy::driver
