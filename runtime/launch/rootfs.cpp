#include "runtime/launch/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/launch/mounts.hpp"

namespace policy::launch::rootfs {

namespace {

// True when `path` exists below `root` as a directory (or a non-directory when !directory),
// reached the way the mounts will reach it (mounts::kInRoot). A symlink on the way: false, and
// the overlay path reports it.
bool exists_in(int root, const std::string& path, bool directory) {
  UniqueFd fd = runtime::openat2(root, path, O_PATH, mounts::kInRoot);
  struct stat st {};
  return fd.valid() && ::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode) == directory;
}

// overlayfs in a user namespace keeps its metadata in user.* extended attributes (`userxattr`),
// which tmpfs stores since Linux 6.6. Without a user namespace trusted.* ones would do on any
// kernel, but the user namespace is not known here: older kernels keep the writable layer on disk.
bool tmpfs_holds_overlay_upper() {
  struct utsname u {};
  unsigned major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%u.%u", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 6);
}

bool at_or_below(const std::string& path, const std::string& dir) {
  return path == dir || path.rfind(dir + "/", 0) == 0;
}

}  // namespace

RunState create_state(const std::string& state_root, const std::string& run_id,
                      const std::vector<std::string>& lower_dirs, uid_t owner, gid_t group,
                      bool readonly, const std::vector<MountPoint>& mount_points) {
  if (lower_dirs.empty())
    throw Error("rootfs: the image has no layers to build the container's root from");
  for (const auto& l : lower_dirs) {
    if (l.empty() || l[0] != '/')
      throw Error("rootfs: image layer directory '" + l + "' must be an absolute path");
    if (l.find_first_of(",:") != std::string::npos)
      throw Error("rootfs: image layer directory '" + l +
                  "' contains ',' or ':', which overlayfs options cannot express; move the image "
                  "cache (--root) to a path without them");
    struct stat st;
    if (::stat(l.c_str(), &st) != 0) throw sys_error("rootfs: image layer directory", l);
    if (!S_ISDIR(st.st_mode)) throw Error("rootfs: image layer '" + l + "' is not a directory");
  }
  if (state_root.find_first_of(",:") != std::string::npos)
    throw Error("rootfs: state directory '" + state_root +
                "' contains ',' or ':', which overlayfs options cannot express; choose another "
                "--root");
  if (readonly && lower_dirs.size() == 1) {
    UniqueFd layer(::open(lower_dirs[0].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    bool all = layer.valid();
    for (size_t i = 0; all && i < mount_points.size(); ++i)
      all = exists_in(layer.get(), mount_points[i].path, mount_points[i].directory);
    if (all) {
      RunState d;
      d.direct = true;
      d.merged = lower_dirs[0];
      return d;
    }
  }
  files::make_dir(state_root, 0711);
  files::make_dir(state_root + "/run", 0711);  // traversable by a user namespace's root
  // The writable layer in memory: the child covers <state_root>/run with a tmpfs in its own mount
  // namespace and makes upper/, work/ and the overlay's mount point there. Nothing is created on
  // the host's disk, so nothing is removed after the run (on this host's ext4 mounted `discard`,
  // each directory freed cost ~0.3 ms), and a killed run leaves no upper layer behind: the kernel
  // frees the tmpfs with the namespace. Its pages are charged to the memory cgroup of the process
  // that writes them, the container's: its memory limit bounds its writes. Not when an image layer
  // lies below <state_root>/run, which the tmpfs would hide.
  bool layer_below_run = false;
  for (const auto& l : lower_dirs) layer_below_run |= at_or_below(l, state_root + "/run");
  if (!layer_below_run && tmpfs_holds_overlay_upper()) {
    RunState m;
    m.tmpfs = state_root + "/run";
    m.upper = m.tmpfs + "/upper";
    m.work = m.tmpfs + "/work";
    m.merged = m.tmpfs + "/root";
    return m;
  }
  RunState s;
  s.dir = state_root + "/run/" + run_id;
  if (::mkdir(s.dir.c_str(), 0700) != 0) throw sys_error("rootfs: create the run's state", s.dir);
  s.upper = s.dir + "/upper";
  s.work = s.dir + "/work";
  // The overlay is mounted on the run's directory itself (in the child's mount namespace, over
  // upper/ and work/, which overlayfs has already looked up): no third directory to create and
  // remove, each of which costs ~0.35 ms on a file system mounted with `discard`.
  s.merged = s.dir;
  try {
    for (const auto* d : {&s.upper, &s.work}) {
      if (::mkdir(d->c_str(), 0755) != 0) throw sys_error("rootfs: mkdir", *d);
      if ((owner != 0 || group != 0) && ::chown(d->c_str(), owner, group) != 0)
        throw sys_error("rootfs: chown to the user namespace's root", *d);
    }
    if ((owner != 0 || group != 0) && ::chown(s.dir.c_str(), owner, group) != 0)
      throw sys_error("rootfs: chown to the user namespace's root", s.dir);
  } catch (...) {
    remove_state(s);
    throw;
  }
  return s;
}

RunState bundle_root(const std::string& dir) {
  if (dir.empty() || dir[0] != '/')
    throw Error("rootfs: the bundle's root '" + dir + "' must be an absolute path");
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) throw sys_error("rootfs: the bundle's root", dir);
  if (!S_ISDIR(st.st_mode)) throw Error("rootfs: the bundle's root '" + dir + "' is not a directory");
  RunState s;
  s.direct = true;
  s.writable = true;
  s.merged = dir;
  return s;
}

void remove_state(const RunState& s) noexcept {
  if (s.dir.empty()) return;
  try {
    runtime::remove_tree(s.dir);
  } catch (...) {
    // Called from a destructor, also while a launch error unwinds: that error is the one to report.
  }
}

UniqueFd mount_root(const RunState& s, const std::vector<std::string>& lower_dirs, bool in_userns,
                    const ir::RootfsPlan& plan) {
  // nosuid and nodev only when the policy asks (`root nosuid nodev`): Docker sets neither, and
  // the devices cgroup, not nodev, decides which device nodes can be opened.
  const unsigned long flags = (plan.nosuid ? MS_NOSUID : 0) | (plan.nodev ? MS_NODEV : 0);
  if (s.direct) {
    // The layer onto itself (a mount point for pivot_root), then read-only at once: nothing the
    // launch does afterwards can write into the image (a missing mount point fails with EROFS).
    // A bundle's root (writable) keeps the mounts below it, as runc's rbind does.
    const unsigned long bind = MS_BIND | (s.writable ? MS_REC : 0);
    if (::mount(s.merged.c_str(), s.merged.c_str(), nullptr, bind, nullptr) != 0)
      throw sys_error("rootfs: bind the image layer as the root", s.merged);
    UniqueFd root(::open(s.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
    if (!root.valid()) throw sys_error("rootfs: open the new root", s.merged);
    // mount_setattr, not MS_REMOUNT: it adds these flags and leaves the others (atime...), which
    // a user namespace may not change, as they are.
    struct mount_attr attr {};
    attr.attr_set = (s.writable ? 0 : MOUNT_ATTR_RDONLY) |
                    (plan.nosuid ? MOUNT_ATTR_NOSUID : 0) | (plan.nodev ? MOUNT_ATTR_NODEV : 0);
    if (attr.attr_set != 0 && ::mount_setattr(root.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
      throw sys_error("rootfs: make the root read-only (mount_setattr)", s.merged);
    return root;
  }
  if (!s.tmpfs.empty()) {
    // Only this mount namespace (private since make_root_private) sees it; pivot_root detaches
    // it with the host's tree, and the overlay keeps its upper and work directories alive.
    if (::mount("tmpfs", s.tmpfs.c_str(), "tmpfs", 0, "mode=0700") != 0)
      throw sys_error("rootfs: mount the tmpfs of the run's writable layer", s.tmpfs);
    for (const auto* d : {&s.upper, &s.work, &s.merged})
      if (::mkdir(d->c_str(), 0755) != 0) throw sys_error("rootfs: mkdir", *d);
  }
  std::string lower;
  for (auto it = lower_dirs.rbegin(); it != lower_dirs.rend(); ++it)
    lower += (lower.empty() ? "" : ":") + *it;  // overlayfs lists the top layer first
  std::string data = "lowerdir=" + lower + ",upperdir=" + s.upper + ",workdir=" + s.work;
  // In a user namespace overlayfs may not use trusted.* xattrs; user.* ones are allowed.
  if (in_userns) data += ",userxattr";
  // volatile (Linux 5.10): no sync of the upper layer, which is removed when the run ends anyway
  // (podman mounts its --rm containers so). Without it the unmount at the namespace's end syncs
  // the whole upper file system: a journal commit, ~1.2 ms of every launch here. A kernel that
  // does not know the option refuses it with EINVAL; the mount is then made without it.
  int rc = ::mount("overlay", s.merged.c_str(), "overlay", flags, (data + ",volatile").c_str());
  if (rc != 0 && errno == EINVAL)
    rc = ::mount("overlay", s.merged.c_str(), "overlay", flags, data.c_str());
  if (rc != 0) {
    int e = errno;
    std::string hint = e == ENODEV ? " (the kernel has no overlayfs: modprobe overlay)"
                       : e == EINVAL
                           ? " (is the state directory on a file system overlayfs accepts as "
                             "upper layer, e.g. not itself overlayfs? choose another --root)"
                           : "";
    errno = e;
    throw sys_error("rootfs: mount overlayfs" + hint, s.merged);
  }
  UniqueFd root(::open(s.merged.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!root.valid()) throw sys_error("rootfs: open the new root", s.merged);
  return root;
}

void make_readonly(int root) {
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(root, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
    throw sys_error("rootfs: make the root read-only (mount_setattr)");
}

void enter(const std::string& merged, bool use_chroot, int warn_fd) {
  if (::chdir(merged.c_str()) != 0) throw sys_error("rootfs: chdir", merged);
  if (use_chroot) {
    static const char msg[] =
        "policyrun: warning: the policy asks for chroot instead of pivot_root; chroot is "
        "escapable by a process that keeps CAP_SYS_CHROOT [-Wchroot-escapable]\n";
    if (::write(warn_fd, msg, sizeof msg - 1) < 0) {
    }
    if (::chroot(".") != 0) throw sys_error("rootfs: chroot", merged);
  } else {
    // pivot_root(".", ".") stacks the old root under the new one; detaching it leaves no path
    // back to the host's file system.
    if (::syscall(SYS_pivot_root, ".", ".") != 0) throw sys_error("rootfs: pivot_root", merged);
    if (::umount2(".", MNT_DETACH) != 0) throw sys_error("rootfs: detach the old root");
  }
  if (::chdir("/") != 0) throw sys_error("rootfs: chdir /");
}

}  // namespace policy::launch::rootfs
