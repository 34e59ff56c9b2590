// Mounts inside the container's root: every target is resolved below the root without following
// a symlink (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), then mounted on through its fd, so an
// image cannot redirect a mount onto the host. Fresh /proc, minimal /dev, read-only /sys, Docker's
// masked and read-only paths, and the policy's own tmpfs and bind mounts.
#pragma once

#include <linux/openat2.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::mounts {

// `/` of the new mount namespace becomes recursively private: nothing mounted here propagates
// back to the host, and nothing the host mounts later appears in the container.
void make_root_private();

// How every path inside the container's root is resolved (openat2): below the root, without
// following a symlink or a /proc magic link.
inline constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// Opens `path` (absolute, as seen in the container) below `root` with `flags` (O_PATH...), never
// following a symlink. Returns an invalid fd when it does not exist; throws policy::Error naming
// the path and `what` when a component is a symlink or escapes the root.
UniqueFd open_in_root(int root, const std::string& path, int flags, const std::string& what);

enum class Leaf { Dir, File };
// Like open_in_root (O_PATH), but creates missing directories (0755) and the leaf first.
UniqueFd ensure_in_root(int root, const std::string& path, Leaf leaf, const std::string& what);

struct Context {
  int root = -1;  // O_PATH fd of the container's root (before pivot_root)
  bool new_userns = false;
  bool new_netns = false;
  bool new_ipcns = false;
};

void mount_proc(const Context& c);  // proc, nosuid,nodev,noexec
void mount_dev(const Context& c);   // tmpfs + host nodes, devpts (newinstance), shm, mqueue
void mount_sys(const Context& c);   // sysfs ro (new net ns) or a recursive read-only bind
// The container's cgroups at /sys/fs/cgroup, read-only, as Docker gives them (a JVM or a
// service reads its limits there): called in the child's own cgroup namespace, so each
// hierarchy's root is the run's cgroup and nothing above it shows. v2: one cgroup2 mount; v1 and
// hybrid: a tmpfs holding one mount per hierarchy the host has (same names), and a hybrid host's
// cgroup2 at unified/. Nothing in a new user namespace on v1 (the kernel refuses v1 mounts there).
void mount_cgroups(const Context& c, const cgroup::Layout& layout);
void mount_plan(const Context& c, const std::vector<ir::MountSpec>& mounts);
void mask_paths(const Context& c, const std::vector<std::string>& paths);
void readonly_paths(const Context& c, const std::vector<std::string>& paths);

// Splits "ro,nosuid,size=64M" into MS_* flags and the file-system data string.
struct ParsedOptions {
  unsigned long flags = 0;
  std::string data;
  bool recursive = true;  // binds: rbind unless "norbind"/"bind"
};
ParsedOptions parse_options(const std::vector<std::string>& options);

}  // namespace policy::launch::mounts
