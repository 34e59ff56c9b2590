// Capabilities, through libcap: the bounding set is dropped first (before the uid change), then,
// after the uid change, the permitted/effective/inheritable sets and the ambient set are set.
#pragma once

#include "compiler/ir/capability_sets.hpp"

namespace policy::launch::capabilities {

// Drops every capability the kernel knows (cap_max_bits) that is not in sets.bounding.
void drop_bounding(const ir::CapabilitySets& sets);
// capset(permitted, effective, inheritable), then clears and raises the ambient set.
void apply(const ir::CapabilitySets& sets);

}  // namespace policy::launch::capabilities
