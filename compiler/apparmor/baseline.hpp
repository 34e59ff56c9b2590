// The baseline every container profile should carry: docker-default's /proc and /sys protections
// (and its `deny mount`), as IR rules a policy can inherit.
#pragma once

#include "compiler/ir/filesystem.hpp"

namespace policy::apparmor {

// docker-default's deny rules for /proc, /sys and mount, in Docker's order, marked as built-in
// (file "<baseline>", with the line of the rule in baseline_profile_text()).
const ir::FilesystemPolicy& docker_baseline();

// The baseline as AppArmor text (a profile named "baseline"), the source of docker_baseline().
const char* baseline_profile_text();

// Adds every baseline rule `fs` does not already have (same deny, access and pattern; same mount
// rule), after the policy's own rules. Returns how many were added.
size_t inherit_baseline(ir::FilesystemPolicy& fs);

}  // namespace policy::apparmor
