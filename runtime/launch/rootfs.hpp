// The container's root: an overlayfs whose lower layers are the cached image layers (never
// written) and whose upper/work directories live in a per-run state directory
// <state_root>/run/<id>/ that the parent removes after the run; then pivot_root into it.
#pragma once

#include <sys/types.h>

#include <ostream>
#include <string>
#include <vector>

#include "runtime/launch/fds.hpp"

namespace policy::launch::rootfs {

struct RunState {
  std::string dir;  // <state_root>/run/<id>
  std::string upper, work, merged;
};

// Parent, before clone: validates the layers and creates the state directory (0700). In a new
// user namespace the upper/work directories belong to the id that is root inside.
RunState create_state(const std::string& state_root, const std::string& run_id,
                      const std::vector<std::string>& lower_dirs, uid_t owner, gid_t group);
// Parent, after the run: removes the state directory (never follows symlinks, never crosses
// a mount). Never throws.
void remove_state(const RunState& s) noexcept;

// Child, in its own mount namespace: mounts the overlay at s.merged and returns an O_PATH fd of
// the new root.
UniqueFd mount_root(const RunState& s, const std::vector<std::string>& lower_dirs, bool in_userns);

// Child: makes the root mount itself read-only (the mounts on top keep their own flags).
void make_readonly(int root);

// Child: pivot_root into `merged` and detach the old root; with use_chroot, chroot instead and
// warn on `warn` that chroot can be escaped by a process that keeps CAP_SYS_CHROOT.
void enter(const std::string& merged, bool use_chroot, int warn_fd);

}  // namespace policy::launch::rootfs
