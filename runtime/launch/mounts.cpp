#include "runtime/launch/mounts.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <map>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/common/text.hpp"
#include "runtime/image/user.hpp"

namespace policy::launch::mounts {
namespace {

std::vector<std::string> components(const std::string& path, const std::string& what) {
  if (path.empty() || path[0] != '/')
    throw Error(what + ": path '" + path + "' must be absolute (as seen inside the container)");
  std::vector<std::string> out;
  for (auto& c : runtime::split(path, '/')) {
    if (c == "..")
      throw Error(what + ": path '" + path + "' contains '..'; write the path without it");
    if (!c.empty() && c != ".") out.push_back(std::move(c));
  }
  return out;
}

Error symlink_error(const std::string& path, const std::string& what) {
  return Error(what + ": '" + path +
                   "' in the container image is (or passes through) a symbolic link; refusing to "
                   "mount over it, because a symlink could redirect the mount outside the "
                   "container. Fix the image (make it a real directory or file) and retry",
               ELOOP);
}

void do_mount(const std::string& source, int target, const char* fstype, unsigned long flags,
              const std::string& data, const std::string& what) {
  if (::mount(source.c_str(), fds::fd_path(target).c_str(), fstype, flags,
              data.empty() ? nullptr : data.c_str()) != 0)
    throw sys_error("mount " + std::string(fstype ? fstype : "bind") + " (" + what + ")", source);
}

unsigned long attr_of(unsigned long ms_flags) {
  unsigned long a = 0;
  if (ms_flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (ms_flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (ms_flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (ms_flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  return a;
}

// Sets ro/nosuid/nodev/noexec on the mount at `path` (and every mount below it).
void set_attrs(int root, const std::string& path, unsigned long ms_flags, const std::string& what) {
  unsigned long a = attr_of(ms_flags);
  if (!a) return;
  UniqueFd fd = open_in_root(root, path, O_PATH, what);
  if (!fd.valid()) throw Error(what + ": '" + path + "' vanished while mounting");
  struct mount_attr attr {};
  attr.attr_set = a;
  if (::mount_setattr(fd.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
    throw sys_error("mount_setattr (" + what + ")", path);
}

void bind(int root, const std::string& host_source, const std::string& target, Leaf leaf,
          unsigned long flags, bool recursive, const std::string& what) {
  UniqueFd t = ensure_in_root(root, target, leaf, what);
  do_mount(host_source, t.get(), nullptr, MS_BIND | (recursive ? MS_REC : 0), "", what);
  set_attrs(root, target, flags, what);
}

}  // namespace

void make_root_private() {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    throw sys_error("mount --make-rprivate /");
}

UniqueFd open_in_root(int root, const std::string& path, int flags, const std::string& what) {
  components(path, what);
  UniqueFd fd = runtime::openat2(root, path, flags, kInRoot);
  if (!fd.valid()) {
    if (errno == ENOENT) return UniqueFd();
    if (errno == ELOOP || errno == EXDEV) throw symlink_error(path, what);
    if (errno == ENOSYS)
      throw Error(what +
                  ": openat2 is missing (Linux 5.6 or later is needed to resolve paths "
                  "safely inside the container root)");
    throw sys_error(what + ": open inside the container root", path);
  }
  return fd;
}

UniqueFd ensure_in_root(int root, const std::string& path, Leaf leaf, const std::string& what) {
  auto parts = components(path, what);
  UniqueFd cur(::fcntl(root, F_DUPFD_CLOEXEC, 3));
  if (!cur.valid()) throw sys_error("dup root fd");
  std::string sofar;
  for (size_t i = 0; i < parts.size(); ++i) {
    const bool last = i + 1 == parts.size();
    sofar += "/" + parts[i];
    UniqueFd fd = runtime::openat2(cur.get(), parts[i], O_PATH, kInRoot);
    if (!fd.valid() && errno == ENOENT) {
      if (last && leaf == Leaf::File) {
        // O_PATH fds cannot create files; reopen the directory for real to create the leaf.
        UniqueFd dir = runtime::openat2(cur.get(), ".", O_RDONLY | O_DIRECTORY, kInRoot);
        int f = dir.valid() ? ::openat(dir.get(), parts[i].c_str(),
                                       O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)
                            : -1;
        if (f < 0 && errno != EEXIST) throw sys_error(what + ": create mount point", sofar);
        if (f >= 0) ::close(f);
      } else if (::mkdirat(cur.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        throw sys_error(what + ": create mount point", sofar);
      }
      fd = runtime::openat2(cur.get(), parts[i], O_PATH, kInRoot);
    }
    if (!fd.valid()) {
      if (errno == ELOOP || errno == EXDEV) throw symlink_error(sofar, what);
      throw sys_error(what + ": open inside the container root", sofar);
    }
    cur = std::move(fd);
  }
  return cur;
}

ParsedOptions parse_options(const std::vector<std::string>& options) {
  static const std::map<std::string, std::pair<unsigned long, bool>> known = {
      {"ro", {MS_RDONLY, true}},
      {"rw", {MS_RDONLY, false}},
      {"nosuid", {MS_NOSUID, true}},
      {"suid", {MS_NOSUID, false}},
      {"nodev", {MS_NODEV, true}},
      {"dev", {MS_NODEV, false}},
      {"noexec", {MS_NOEXEC, true}},
      {"exec", {MS_NOEXEC, false}},
      {"noatime", {MS_NOATIME, true}},
      {"relatime", {MS_RELATIME, true}},
      {"strictatime", {MS_STRICTATIME, true}},
  };
  ParsedOptions p;
  for (const auto& o : options) {
    if (o == "rbind") continue;
    if (o == "bind" || o == "norbind") {
      p.recursive = false;
      continue;
    }
    auto it = known.find(o);
    if (it != known.end()) {
      if (it->second.second)
        p.flags |= it->second.first;
      else
        p.flags &= ~it->second.first;
      continue;
    }
    p.data += (p.data.empty() ? "" : ",") + o;
  }
  return p;
}

void mount_proc(const Context& c) {
  const std::string what = "mounting /proc";
  UniqueFd t = ensure_in_root(c.root, "/proc", Leaf::Dir, what);
  do_mount("proc", t.get(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", what);
}

void mount_dev(const Context& c) {
  const std::string what = "building /dev";
  static const char* const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  // The image's own /dev is hidden by the tmpfs below, but a symlink where a device or a /dev
  // mount point belongs is a sign of a hostile image: refuse it, as the design demands.
  {
    UniqueFd dev = open_in_root(c.root, "/dev", O_PATH | O_DIRECTORY, what);
    if (dev.valid()) {
      static const char* const reserved[] = {"null", "zero",    "full", "random", "urandom",
                                             "tty",  "console", "pts",  "shm",    "mqueue"};
      for (const char* n : reserved) {
        struct stat st;
        if (::fstatat(dev.get(), n, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
          throw symlink_error(std::string("/dev/") + n, what);
      }
    }
  }
  UniqueFd t = ensure_in_root(c.root, "/dev", Leaf::Dir, what);
  do_mount("tmpfs", t.get(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k", what);
  UniqueFd fresh = open_in_root(c.root, "/dev", O_RDONLY | O_DIRECTORY, what);
  if (!fresh.valid()) throw Error(what + ": the new /dev is gone");
  for (const char* n : nodes) {
    std::string host = std::string("/dev/") + n;
    struct stat st;
    if (::stat(host.c_str(), &st) != 0 || !S_ISCHR(st.st_mode)) {
      if (std::string(n) == "tty") continue;  // hosts without a console still run containers
      throw Error(what + ": the host has no character device " + host +
                  " to bind into the container; create it (mknod) and retry");
    }
    if (c.new_userns) {  // mknod is not allowed in a user namespace: the host's node, bound
      bind(c.root, host, host, Leaf::File, 0, false, what);
      continue;
    }
    // Outside a user namespace the container gets nodes of its own in its fresh /dev, as runc
    // does: the same device, mode and owner as the host's, cheaper than a bind mount, and a chmod
    // or chown inside cannot reach the host's node.
    if (::mknodat(fresh.get(), n, S_IFCHR | 0600, st.st_rdev) != 0)
      throw sys_error(what + ": mknod", host);
    if (::fchownat(fresh.get(), n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 ||
        ::fchmodat(fresh.get(), n, st.st_mode & 07777, 0) != 0)
      throw sys_error(what + ": owner and mode of", host);
  }
  {
    UniqueFd pts = ensure_in_root(c.root, "/dev/pts", Leaf::Dir, what);
    // gid=5 (tty) only where the id exists: it may be unmapped in a user namespace.
    std::string data = "newinstance,ptmxmode=0666,mode=0620";
    if (!c.new_userns) data += ",gid=5";
    do_mount("devpts", pts.get(), "devpts", MS_NOSUID | MS_NOEXEC, data, what);
  }
  {
    UniqueFd shm = ensure_in_root(c.root, "/dev/shm", Leaf::Dir, what);
    do_mount("shm", shm.get(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
             what);
  }
  if (c.new_ipcns) {
    UniqueFd mq = ensure_in_root(c.root, "/dev/mqueue", Leaf::Dir, what);
    do_mount("mqueue", mq.get(), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", what);
  }
  UniqueFd dev = open_in_root(c.root, "/dev", O_RDONLY | O_DIRECTORY, what);
  static const std::pair<const char*, const char*> links[] = {
      {"pts/ptmx", "ptmx"},          {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
      {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};
  for (const auto& [to, name] : links)
    if (::symlinkat(to, dev.get(), name) != 0) throw sys_error(what + ": symlink", name);
}

void mount_sys(const Context& c) {
  const std::string what = "mounting /sys";
  const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (c.new_netns) {
    UniqueFd t = ensure_in_root(c.root, "/sys", Leaf::Dir, what);
    do_mount("sysfs", t.get(), "sysfs", flags, "", what);
  } else {
    // The host's network devices would be visible through a fresh sysfs anyway; a read-only
    // recursive bind is what runc does when the net namespace is shared.
    bind(c.root, "/sys", "/sys", Leaf::Dir, flags, true, what);
  }
}

// The data of a tmpfs mount. `uid=NAME` and `gid=NAME` name a user and a group of the image
// (looked up in its /etc/passwd and /etc/group, as `user NAME` is). A tmpfs over a directory of
// the image takes that directory's mode, owner and group, as a Docker volume does, unless the
// options say otherwise (docs/language.md, rootfs): Debian's /var/lib/redis belongs to a redis
// user whose id differs from image to image.
static std::string tmpfs_data(int root, int dir, bool in_image, const std::string& data,
                              const std::string& what) {
  std::string out;
  bool mode = false, uid = false, gid = false;
  auto add = [&](const std::string& item) { out += (out.empty() ? "" : ",") + item; };
  for (const auto& item : runtime::split(data, ',')) {
    if (item.empty()) continue;
    const bool is_uid = item.rfind("uid=", 0) == 0, is_gid = item.rfind("gid=", 0) == 0;
    mode |= item.rfind("mode=", 0) == 0;
    uid |= is_uid;
    gid |= is_gid;
    const std::string value = item.substr(4);
    if ((is_uid || is_gid) && !value.empty() &&
        !std::isdigit(static_cast<unsigned char>(value[0]))) {
      image::ExecUser u = image::resolve_user(root, is_uid ? value : "0:" + value, what);
      add(is_uid ? "uid=" + std::to_string(u.uid) : "gid=" + std::to_string(u.gid));
    } else {
      add(item);
    }
  }
  struct stat st {};
  if (!in_image || ::fstat(dir, &st) != 0) return out;
  char text[16];
  std::snprintf(text, sizeof text, "mode=%o", static_cast<unsigned>(st.st_mode & 07777));
  if (!mode) add(text);
  // An id the current user namespace cannot map shows as the overflow id: leave it to tmpfs.
  if (!uid && st.st_uid != 65534) add("uid=" + std::to_string(st.st_uid));
  if (!gid && st.st_gid != 65534) add("gid=" + std::to_string(st.st_gid));
  return out;
}

void mount_plan(const Context& c, const std::vector<ir::MountSpec>& mounts) {
  for (const auto& m : mounts) {
    std::string what = "mount " + m.target;
    if (m.loc.known()) what = m.loc.str() + ": " + what;
    ParsedOptions o = parse_options(m.options);
    switch (m.kind) {
      case ir::MountSpec::Tmpfs: {
        UniqueFd t = open_in_root(c.root, m.target, O_PATH | O_DIRECTORY, what);
        const bool in_image = t.valid();
        if (!in_image) t = ensure_in_root(c.root, m.target, Leaf::Dir, what);
        unsigned long f = o.flags;
        if (!(f & MS_NOSUID) && !(f & MS_NODEV)) f |= MS_NOSUID | MS_NODEV;
        do_mount("tmpfs", t.get(), "tmpfs", f, tmpfs_data(c.root, t.get(), in_image, o.data, what),
                 what);
        break;
      }
      case ir::MountSpec::Bind: {
        if (m.source.empty() || m.source[0] != '/')
          throw Error(what + ": bind source '" + m.source + "' must be an absolute host path");
        struct stat st;
        if (::stat(m.source.c_str(), &st) != 0)
          throw sys_error(what + ": bind source on the host", m.source);
        bind(c.root, m.source, m.target, S_ISDIR(st.st_mode) ? Leaf::Dir : Leaf::File,
             o.flags | MS_NOSUID | MS_NODEV, o.recursive, what);
        break;
      }
      case ir::MountSpec::Proc:
      case ir::MountSpec::Sysfs:
      case ir::MountSpec::Mqueue: {  // kernel file systems: never setuid, device nodes or exec
        const char* fs = m.kind == ir::MountSpec::Proc    ? "proc"
                         : m.kind == ir::MountSpec::Sysfs ? "sysfs"
                                                          : "mqueue";
        UniqueFd t = ensure_in_root(c.root, m.target, Leaf::Dir, what);
        do_mount(fs, t.get(), fs, o.flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, o.data, what);
        break;
      }
      case ir::MountSpec::Devpts: {
        UniqueFd t = ensure_in_root(c.root, m.target, Leaf::Dir, what);
        std::string data = "newinstance" + (o.data.empty() ? "" : "," + o.data);
        do_mount("devpts", t.get(), "devpts", o.flags | MS_NOSUID | MS_NOEXEC, data, what);
        break;
      }
    }
  }
}

void mask_paths(const Context& c, const std::vector<std::string>& paths) {
  // Files are masked with the container's own /dev/null (mount_dev made it; in a user namespace
  // it is a bind of the host's), bound read-only: a chmod or chown through a mask then fails with
  // EROFS and can never reach the host's /dev/null, which every host user writes to.
  UniqueFd null;
  for (const auto& p : paths) {
    const std::string what = "masking " + p;
    UniqueFd fd = open_in_root(c.root, p, O_PATH, what);
    if (!fd.valid()) continue;  // nothing to hide on this kernel
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) throw sys_error(what + ": stat", p);
    if (S_ISDIR(st.st_mode))
      do_mount("tmpfs", fd.get(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "mode=0555", what);
    else {
      if (!null.valid()) null = open_in_root(c.root, "/dev/null", O_PATH, what);
      if (!null.valid()) throw Error(what + ": the container's /dev/null is missing");
      do_mount(fds::fd_path(null.get()), fd.get(), nullptr, MS_BIND, "", what);
      set_attrs(c.root, p, MS_RDONLY | MS_NOSUID | MS_NOEXEC, what);
    }
  }
}

void readonly_paths(const Context& c, const std::vector<std::string>& paths) {
  for (const auto& p : paths) {
    const std::string what = "making " + p + " read-only";
    UniqueFd fd = open_in_root(c.root, p, O_PATH, what);
    if (!fd.valid()) continue;
    std::string self = fds::fd_path(fd.get());
    if (::mount(self.c_str(), self.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      throw sys_error(what + ": bind", p);
    set_attrs(c.root, p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, what);
  }
}

void mount_cgroups(const Context& c, const cgroup::Layout& layout) {
  const std::string what = "mounting /sys/fs/cgroup";
  const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (layout.mode == cgroup::Mode::None) return;
  if (layout.mode == cgroup::Mode::V2) {
    UniqueFd t = ensure_in_root(c.root, "/sys/fs/cgroup", Leaf::Dir, what);
    do_mount("cgroup2", t.get(), "cgroup2", ro, "", what);
    return;
  }
  if (c.new_userns) return;
  // One mount per host hierarchy: the controllers mounted together ("cpu,cpuacct") share one.
  std::map<std::string, std::string> hierarchies;  // mount point's name -> controllers
  for (const auto& [controller, mount] : layout.v1_mounts) {
    std::string& list = hierarchies[mount.substr(mount.rfind('/') + 1)];
    list += (list.empty() ? "" : ",") + controller;
  }
  UniqueFd t = ensure_in_root(c.root, "/sys/fs/cgroup", Leaf::Dir, what);
  do_mount("tmpfs", t.get(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755", what);
  for (const auto& [name, controllers] : hierarchies) {
    UniqueFd dir = ensure_in_root(c.root, "/sys/fs/cgroup/" + name, Leaf::Dir, what);
    do_mount("cgroup", dir.get(), "cgroup", ro, controllers, what);
  }
  if (!layout.v2_mount.empty()) {
    UniqueFd dir = ensure_in_root(c.root, "/sys/fs/cgroup/unified", Leaf::Dir, what);
    do_mount("cgroup2", dir.get(), "cgroup2", ro, "", what);
  }
  UniqueFd top = open_in_root(c.root, "/sys/fs/cgroup", O_PATH, what);
  do_mount("", top.get(), nullptr, MS_REMOUNT | MS_BIND | ro, "", what);
}

}  // namespace policy::launch::mounts
