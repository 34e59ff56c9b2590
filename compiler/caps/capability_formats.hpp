// The capability backend: ir::CapabilitySets as the kernel and the tools people know show them.
// Names come from libcap (compiler/common/names.hpp); masks are printed exactly as
// /proc/PID/status prints them and read back as `capsh --decode` reads them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/ir/capability_sets.hpp"

namespace policy::caps {

// ---- masks ----
// Every capability libcap knows (bits 0..names::last_capability()).
uint64_t all_mask();
// 16 lower-case hex digits, zero-padded, no prefix: the CapEff: column of /proc/PID/status.
std::string status_hex(uint64_t mask);
// Reads a mask as capsh --decode does: hex digits with or without 0x, at most 16 of them.
std::optional<uint64_t> parse_mask(std::string_view text);
// "CAP_CHOWN", ... in capability-number order. A bit libcap has no name for is "CAP_<n>".
std::vector<std::string> names(uint64_t mask);
// The mask of the named capabilities ("CHOWN", "CAP_CHOWN", "cap_chown"); nullopt when a name is
// unknown, with that name in *unknown when given.
std::optional<uint64_t> mask_of(const std::vector<std::string>& cap_names,
                                std::string* unknown = nullptr);
// The line `capsh --decode=MASK` prints: "0x00000000a80425fb=cap_chown,cap_dac_override,...".
// libcap lists the names in its own order (by number); unnamed bits print as the bare number.
std::string capsh_decode(uint64_t mask);

// ---- the five sets ----
// "CapInh:\t...\nCapPrm:\t...\nCapEff:\t...\nCapBnd:\t...\nCapAmb:\t...\n", as in /proc/PID/status.
std::string status_lines(const ir::CapabilitySets& sets);
// Reads those five lines back from /proc/PID/status text (other lines are ignored); nullopt when
// one is missing or malformed.
std::optional<ir::CapabilitySets> parse_status(std::string_view status_text);
// Combinations the kernel refuses, one message per problem (empty: the sets can be applied):
// ambient outside permitted or inheritable (PR_CAP_AMBIENT_RAISE fails), effective outside
// permitted (capset fails), bits libcap does not know.
std::vector<std::string> check(const ir::CapabilitySets& sets);

// ---- outputs ----
// The OCI runtime-spec `process.capabilities` object: bounding, effective, inheritable, permitted
// and ambient arrays of "CAP_*" names (every array present, empty ones too).
nlohmann::json to_oci(const ir::CapabilitySets& sets);
// The reverse, for imported OCI configs. Missing arrays are empty sets. Names libcap does not
// know are skipped and appended to *unknown. Throws policy::Error when the JSON is not an object
// of string arrays.
ir::CapabilitySets from_oci(const nlohmann::json& capabilities,
                            std::vector<std::string>* unknown = nullptr);
// A review text: what is kept, what is dropped, the five masks, and notes on capabilities that
// amount to root (CAP_SYS_ADMIN, CAP_SYS_MODULE, ...).
std::string render_text(const ir::CapabilitySets& sets);

}  // namespace policy::caps
