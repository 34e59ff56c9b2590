// The whole Policy IR in a compact binary form and back, field for field: what policyrun's
// compile cache (runtime/launch/policy_cache.hpp) stores, so that a policy that has not changed
// is not parsed, resolved and compiled again on every launch. Not a user-facing format.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/ir/policy.hpp"

namespace policy::driver {

std::string encode_ir(const ir::Policy& policy);
// nullopt when `bytes` is not exactly what encode_ir writes (truncated, trailing bytes, a bad
// enum value).
std::optional<ir::Policy> decode_ir(std::string_view bytes);

}  // namespace policy::driver
