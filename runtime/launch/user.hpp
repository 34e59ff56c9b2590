// User ids: the user namespace's id maps (written by the parent) and the process's uid, gid and
// supplementary groups (set by the child, between dropping the bounding set and capset).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"

namespace policy::launch::user {

// Parent: writes "deny" to /proc/PID/setgroups, then uid_map and gid_map. Without maps in the
// plan the runtime's own euid/egid become root inside (a one-id map).
void write_id_maps(pid_t child, const ir::NamespacePlan& plan);

// Child, first thing in a new user namespace: become its root (the mapped id), so that files the
// launch creates (overlay upper, mount points) belong to the container, not to the host's root.
void become_namespace_root();

struct Ids {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> groups;
};

// Child: setgroups (unless in a user namespace with setgroups denied and no groups), setresgid,
// setresuid, with PR_SET_KEEPCAPS so the permitted set survives a switch away from uid 0.
void switch_ids(const Ids& ids, bool in_new_userns);

}  // namespace policy::launch::user
