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

// The codec's string framing (a 32-bit host-endian length, then the bytes), for containers that
// store encoded IR beside other strings (the compile cache's entries).
void put_string(std::string& out, std::string_view s);
// Takes one framed string off the front of `in`; false when `in` is too short.
bool take_string(std::string_view& in, std::string& s);

}  // namespace policy::driver
