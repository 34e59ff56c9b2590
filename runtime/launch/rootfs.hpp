// The container's root: an overlayfs whose lower layers are the cached image layers (never
// written) and whose upper/work directories live on a tmpfs that the child mounts in its own mount
// namespace (nothing on the host's disk; the kernel frees it with the namespace), or, where the
// kernel cannot use that tmpfs (create_state), in a per-run state directory <state_root>/run/<id>/
// that the parent removes after the run; then pivot_root into it. A read-only root of one layer is
// that layer itself, bound read-only.
#pragma once

#include <sys/types.h>

#include <ostream>
#include <string>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::rootfs {

struct RunState {
  std::string dir;  // <state_root>/run/<id> on the host's disk; empty: nothing on the host
  std::string upper, work, merged;
  bool direct = false;  // the single layer itself, bound read-only: no overlay, no state dir
  bool writable = false;  // direct: an OCI bundle's root filesystem, bound as it is (bundle_root)
  // Where the child mounts the tmpfs holding upper/, work/ and the overlay's mount point root/
  // (<state_root>/run, covered in the child's mount namespace only); empty: upper and work are
  // the disk's, in `dir`.
  std::string tmpfs;
};

// A path the launch mounts on (or enters) inside the root, and whether it must be a directory.
struct MountPoint {
  std::string path;
  bool directory = true;
};

// Parent, before clone: validates the layers and decides where the writable layer lives. On a
// kernel whose tmpfs keeps user.* extended attributes (Linux 6.6; overlayfs needs them in a user
// namespace) it is a tmpfs of the child's (RunState::tmpfs): nothing is created on the host. Else
// the state directory (0700) is created on disk; in a new user namespace its upper/work
// directories belong to the id that is root inside.
//
// `readonly` (the policy's `rootfs readonly`) with a single layer whose every mount point
// already exists (no symlink on the way): the root is that layer bound read-only instead, with
// no overlay and no per-run state directory - nothing is created or removed on the host's disk.
// Otherwise (a mount point to create, several layers) the overlay is used and made read-only
// once every mount point exists.
RunState create_state(const std::string& state_root, const std::string& run_id,
                      const std::vector<std::string>& lower_dirs, uid_t owner, gid_t group,
                      bool readonly = false, const std::vector<MountPoint>& mount_points = {});
// An OCI bundle's root filesystem (root.path; the runtime-spec's model): the directory itself,
// bound (recursively) onto itself and written in place, as runc does; read-only when the config's
// root.readonly or the policy says so (made read-only after the mounts, like any root).
RunState bundle_root(const std::string& dir);

// Parent, after the run: removes the state directory (never follows symlinks, never crosses
// a mount). Never throws.
void remove_state(const RunState& s) noexcept;

// Child, in its own (private) mount namespace: mounts the tmpfs of s.tmpfs with upper/work in it
// when the state is in memory, then the overlay at s.merged (or, for a direct root, binds the
// layer onto itself read-only, nosuid, nodev) and returns an O_PATH fd of the new root.
UniqueFd mount_root(const RunState& s, const std::vector<std::string>& lower_dirs, bool in_userns,
                    const ir::RootfsPlan& plan);

// Child: makes the root mount itself read-only (the mounts on top keep their own flags).
void make_readonly(int root);

// Child: pivot_root into `merged` and detach the old root; with use_chroot, chroot instead and
// warn on `warn` that chroot can be escaped by a process that keeps CAP_SYS_CHROOT.
void enter(const std::string& merged, bool use_chroot, int warn_fd);

}  // namespace policy::launch::rootfs
