// User ids: the user namespace's id maps (written by the parent) and the process's uid, gid and
// supplementary groups (set by the child, between dropping the bounding set and capset).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
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

// The ids the command runs as, and its HOME.
struct Identity {
  Ids ids;
  std::string home = "/";
};

// Child, with the container's root mounted (before pivot_root): the one resolution of a user.
// `image_user` (the image's User or -u: "", NAME or UID, optionally ":GROUP" or ":GID") is looked
// up in /etc/passwd and /etc/group as the container will see them (image::resolve_user: merged
// layers, symlinks resolved inside the root). The policy's uid and gid win. The image user's
// supplementary groups join the policy's, except in a new user namespace, where setgroups is
// denied (runc skips them there too). When the policy sets the uid, groups and HOME are those of
// that uid's entry, not of the image's user.
Identity resolve_identity(int root, const std::string& image_user, const ir::ProcessPlan& process,
                          bool in_new_userns);

// Child: setgroups (unless in a user namespace with setgroups denied and no groups), setresgid,
// setresuid, with PR_SET_KEEPCAPS so the permitted set survives a switch away from uid 0.
void switch_ids(const Ids& ids, bool in_new_userns);

}  // namespace policy::launch::user
