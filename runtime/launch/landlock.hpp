// Landlock: the policy's path, TCP port and scope rules enforced by the kernel in the container
// process, right before seccomp (docs/landlock.md). Paths are container paths: this runs after
// pivot_root, so they resolve inside the container's root.
#pragma once

#include <ostream>

#include "compiler/ir/policy.hpp"
#include "compiler/landlock/ruleset.hpp"

namespace policy::launch {

// Off: not applied. BestEffort: applied at the ABI the kernel offers; rules it cannot express and
// paths missing in the container are skipped with a note on `log` (policyrun shows these notes only
// with --verbose). Require: Landlock must exist, every rule Landlock can enforce at all must be
// enforceable at the kernel's ABI, and every path must exist; otherwise policy::Error.
enum class LandlockMode { Off, BestEffort, Require };

// The kernel's Landlock ABI version (landlock_create_ruleset(NULL, 0, VERSION)); 0 when the kernel
// has no Landlock or it is disabled.
int landlock_abi();

// The ruleset for the kernel's ABI, compiled by the parent before the clone (so a Require-mode
// failure stops the launch before anything runs, and the child only makes system calls).
struct LandlockPlan {
  LandlockMode mode = LandlockMode::Off;
  bool apply = false;  // false: Off, no Landlock in the kernel (BestEffort), or nothing restricted
  landlock::Ruleset ruleset;
};

// Probes the ABI and compiles the policy's rules at it; notes on `log`. Throws policy::Error in
// Require mode when Landlock is missing or the kernel's ABI cannot enforce a rule.
LandlockPlan prepare_landlock(const ir::Policy& policy, LandlockMode mode, std::ostream& log);

// Builds the kernel ruleset from the plan and restricts the calling thread (and its future
// children) with it. Needs no_new_privs or CAP_SYS_ADMIN. Paths are opened now, in the caller's
// root. Throws policy::Error on failure in Require mode, and in BestEffort mode on failures that
// are not about missing support (a missing path is skipped with a note).
void apply_landlock(const LandlockPlan& plan, std::ostream& log);

// Both steps in one process.
void apply_landlock(const ir::Policy& policy, LandlockMode mode, std::ostream& log);

}  // namespace policy::launch
