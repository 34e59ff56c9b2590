// Landlock: the policy's path, TCP port and scope rules enforced by the kernel in the container
// process, right before seccomp (docs/landlock.md). Paths are container paths: this runs after
// pivot_root, so they resolve inside the container's root.
#pragma once

#include <ostream>

#include "compiler/ir/policy.hpp"

namespace policy::launch {

// Off: not applied. BestEffort: applied at the ABI the kernel offers; rules it cannot express and
// paths missing in the container are skipped with a note on `log`. Require: Landlock must exist,
// every rule Landlock can enforce at all must be enforceable at the kernel's ABI, and every path
// must exist; otherwise policy::Error.
enum class LandlockMode { Off, BestEffort, Require };

// The kernel's Landlock ABI version (landlock_create_ruleset(NULL, 0, VERSION)); 0 when the kernel
// has no Landlock or it is disabled.
int landlock_abi();

// Builds the ruleset for the kernel's ABI and restricts the calling thread (and its future
// children) with it. Needs no_new_privs or CAP_SYS_ADMIN. Throws policy::Error on failure in
// Require mode, and in BestEffort mode on failures that are not about missing support.
void apply_landlock(const ir::Policy& policy, LandlockMode mode, std::ostream& log);

}  // namespace policy::launch
