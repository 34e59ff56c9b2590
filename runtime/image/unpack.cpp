#include "runtime/image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <set>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"
#include "runtime/image/fsutil.hpp"
#include "runtime/image/limits.hpp"

namespace policy::image {

namespace {

constexpr const char* kWhiteoutPrefix = ".wh.";
constexpr const char* kOpaqueMarker = ".wh..wh..opq";
constexpr const char* kOverlayOpaque = "trusted.overlay.opaque";

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::string entry_message(const std::string& context, const std::string& name,
                          const std::string& reason) {
  return context + ": entry '" + name + "': " + reason + "; refusing the image";
}

class Unpacker {
 public:
  Unpacker(TarStream& tar, int root, const std::string& context, std::vector<std::string>& warnings,
           UnpackBudget& budget)
      : tar_(tar),
        root_(root),
        ctx_(context),
        warnings_(warnings),
        budget_(budget),
        is_root_(::geteuid() == 0) {}

  void run() {
    while (archive_entry* e = tar_.next()) entry(e);
    finish_dirs();
    report();
  }

 private:
  struct DirMeta {
    std::string path;
    mode_t mode;
    timespec times[2];
  };

  [[noreturn]] void refuse(const std::string& reason) {
    throw Error(entry_message(ctx_, name_, reason));
  }
  [[noreturn]] void refuse_sys(const std::string& what) {
    int e = errno;
    throw Error(entry_message(ctx_, name_, what + ": " + std::strerror(e)), e);
  }

  // Opens directory `dir` ("" = the layer root) one component at a time, each with
  // O_NOFOLLOW|O_DIRECTORY relative to the previous one, so no symlink is ever followed.
  // Missing components are created (mode 0755) when `create`; `role` words the messages.
  UniqueFd walk(const std::string& dir, bool create, const std::string& role) {
    UniqueFd cur(::openat(root_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cur.valid()) refuse_sys("open layer root");
    std::string sofar;
    size_t pos = 0;
    while (pos < dir.size()) {
      size_t slash = dir.find('/', pos);
      if (slash == std::string::npos) slash = dir.size();
      std::string comp = dir.substr(pos, slash - pos);
      pos = slash + 1;
      sofar += (sofar.empty() ? "" : "/") + comp;
      UniqueFd next(
          ::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next.valid() && errno == ENOENT && create) {
        if (::mkdirat(cur.get(), comp.c_str(), 0755) != 0 && errno != EEXIST)
          refuse_sys("mkdir '" + sofar + "'");
        next = UniqueFd(
            ::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      }
      if (!next.valid()) {
        int err = errno;
        struct stat st;
        if (err == ENOENT) refuse(role + "'" + sofar + "' does not exist in this layer");
        if (::fstatat(cur.get(), comp.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          if (S_ISLNK(st.st_mode))
            refuse(role + "'" + sofar + "' is a symlink; refusing to " +
                   (create ? "write through it" : "follow it"));
          if (!S_ISDIR(st.st_mode)) refuse(role + "'" + sofar + "' is not a directory");
        }
        errno = err;
        refuse_sys("open '" + sofar + "'");
      }
      cur = std::move(next);
    }
    return cur;
  }

  // The parent directory of the current entry; the last one is kept open because tar entries
  // come grouped by directory. Removals only ever happen below it, so the fd stays valid.
  int parent_fd(const std::string& parent) {
    if (!cached_.valid() || cached_parent_ != parent) {
      cached_ = walk(parent, true, "path component ");
      cached_parent_ = parent;
    }
    return cached_.get();
  }

  // Makes room for a new entry `base` in `pfd`; returns true when a directory is already there
  // and `keep_dir` asks to reuse it.
  bool clear_slot(int pfd, const std::string& base, bool keep_dir) {
    struct stat st;
    if (::fstatat(pfd, base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return false;
      refuse_sys("stat");
    }
    if (S_ISDIR(st.st_mode)) {
      if (keep_dir) return true;
      runtime::remove_tree_at(pfd, base, ctx_ + ": " + name_);
      return false;
    }
    if (::unlinkat(pfd, base.c_str(), 0) != 0) refuse_sys("remove the earlier entry");
    return false;
  }

  static void entry_times(archive_entry* e, timespec times[2]) {
    times[1].tv_sec = archive_entry_mtime_is_set(e) ? archive_entry_mtime(e) : 0;
    times[1].tv_nsec = archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0;
    if (archive_entry_atime_is_set(e)) {
      times[0].tv_sec = archive_entry_atime(e);
      times[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
      times[0] = times[1];
    }
  }

  void set_owner(int fd, archive_entry* e) {
    if (!is_root_) {
      not_root_owner_ = true;
      return;
    }
    if (::fchown(fd, static_cast<uid_t>(archive_entry_uid(e)),
                 static_cast<gid_t>(archive_entry_gid(e))) != 0)
      refuse_sys("chown");
  }

  // security.capability and user.* are kept; anything else (trusted.overlay.* included, which
  // would fake whiteouts) is dropped with a warning. Set after chown, which clears capabilities.
  void set_xattrs(int fd, archive_entry* e) {
    if (archive_entry_acl_count(e, ARCHIVE_ENTRY_ACL_TYPE_POSIX1E) > 0)
      dropped_xattrs_.insert("POSIX ACLs (system.posix_acl_*)");
    archive_entry_xattr_reset(e);
    const char* xname = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
      std::string n = xname ? xname : "";
      if (n == "security.capability" || starts_with(n, "user.")) {
        if (::fsetxattr(fd, n.c_str(), value, size, 0) != 0) refuse_sys("set xattr '" + n + "'");
      } else {
        dropped_xattrs_.insert(n);
      }
    }
  }

  bool has_xattrs(archive_entry* e) { return archive_entry_xattr_reset(e) > 0; }

  void regular(archive_entry* e, int pfd, const std::string& base) {
    // Charged before anything is written: a bomb's big entry is refused by its header.
    const uint64_t declared =
        archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
    budget_.file_bytes(name_, declared);
    clear_slot(pfd, base, false);
    UniqueFd f(
        ::openat(pfd, base.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!f.valid()) refuse_sys("create file");
    for (;;) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      int r = archive_read_data_block(tar_.tar(), &buf, &size, &offset);
      if (r == ARCHIVE_EOF) break;
      if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
        try {
          tar_.rethrow_pending();
        } catch (const LimitError&) {
          throw;
        } catch (const Error& err) {
          refuse(std::string("cannot read its data: ") + err.what());
        }
        const char* msg = archive_error_string(tar_.tar());
        refuse(std::string("cannot read its data: ") + (msg ? msg : "read error"));
      }
      if (offset < 0 || static_cast<uint64_t>(offset) > declared ||
          size > declared - static_cast<uint64_t>(offset))
        refuse("data beyond its declared size of " + std::to_string(declared) + " bytes");
      const char* p = static_cast<const char*>(buf);
      while (size > 0) {
        ssize_t w = ::pwrite(f.get(), p, size, offset);
        if (w < 0) {
          if (errno == EINTR) continue;
          refuse_sys("write");
        }
        p += w;
        size -= static_cast<size_t>(w);
        offset += w;
      }
    }
    if (archive_entry_size_is_set(e) && ::ftruncate(f.get(), archive_entry_size(e)) != 0)
      refuse_sys("truncate");
    set_owner(f.get(), e);
    if (::fchmod(f.get(), archive_entry_perm(e)) != 0) refuse_sys("chmod");
    set_xattrs(f.get(), e);
    timespec times[2];
    entry_times(e, times);
    if (::futimens(f.get(), times) != 0) refuse_sys("set times");
  }

  void directory(archive_entry* e, int pfd, const std::string& base, const std::string& rel) {
    if (!clear_slot(pfd, base, true) && ::mkdirat(pfd, base.c_str(), 0700) != 0)
      refuse_sys("mkdir");
    UniqueFd d(::openat(pfd, base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d.valid()) refuse_sys("open directory");
    set_owner(d.get(), e);
    set_xattrs(d.get(), e);
    defer_dir(e, rel);
  }

  void defer_dir(archive_entry* e, const std::string& rel) {
    DirMeta m{rel, static_cast<mode_t>(archive_entry_perm(e)), {}};
    entry_times(e, m.times);
    dirs_.push_back(m);
  }

  void symlink(archive_entry* e, int pfd, const std::string& base) {
    const char* target = archive_entry_symlink(e);
    if (!target || !*target) refuse("symlink without a target");
    clear_slot(pfd, base, false);
    // The target is stored verbatim and never followed here; at run time it resolves inside
    // the container's root.
    if (::symlinkat(target, pfd, base.c_str()) != 0) refuse_sys("create symlink");
    if (is_root_ && ::fchownat(pfd, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                               static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0)
      refuse_sys("chown symlink");
    if (has_xattrs(e)) dropped_xattrs_.insert("(xattrs on a symlink)");
    timespec times[2];
    entry_times(e, times);
    if (::utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
      refuse_sys("set symlink times");
  }

  void fifo(archive_entry* e, int pfd, const std::string& base) {
    clear_slot(pfd, base, false);
    if (::mknodat(pfd, base.c_str(), S_IFIFO | 0600, 0) != 0) refuse_sys("mkfifo");
    if (is_root_ && ::fchownat(pfd, base.c_str(), static_cast<uid_t>(archive_entry_uid(e)),
                               static_cast<gid_t>(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) != 0)
      refuse_sys("chown fifo");
    // Just created by us in a directory nobody else writes: it is still the FIFO.
    if (::fchmodat(pfd, base.c_str(), archive_entry_perm(e), 0) != 0) refuse_sys("chmod fifo");
    if (has_xattrs(e)) dropped_xattrs_.insert("(xattrs on a fifo)");
    timespec times[2];
    entry_times(e, times);
    if (::utimensat(pfd, base.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
      refuse_sys("set fifo times");
  }

  void hardlink(const std::string& raw_target, int pfd, const std::string& base,
                const std::string& rel) {
    auto clean_target = clean_entry_name(raw_target);
    if (!clean_target) refuse("hardlink target '" + raw_target + "' escapes the root");
    const std::string& target = *clean_target;
    if (target.empty()) refuse("hardlink to the layer root");
    if (target == rel) refuse("hardlink to itself");
    if (skipped_.count(target)) {
      skipped_.insert(rel);
      skipped_devices_.push_back(rel);
      return;
    }
    size_t slash = target.rfind('/');
    std::string tparent = slash == std::string::npos ? "" : target.substr(0, slash);
    std::string tbase = slash == std::string::npos ? target : target.substr(slash + 1);
    UniqueFd tdir = walk(tparent, false, "hardlink target component ");
    struct stat st;
    if (::fstatat(tdir.get(), tbase.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) refuse("hardlink target '" + target + "' does not exist in this layer");
      refuse_sys("stat hardlink target");
    }
    if (S_ISDIR(st.st_mode)) refuse("hardlink target '" + target + "' is a directory");
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      refuse("hardlink target '" + target + "' is a whiteout");
    clear_slot(pfd, base, false);
    if (::linkat(tdir.get(), tbase.c_str(), pfd, base.c_str(), 0) != 0) refuse_sys("link");
  }

  void whiteout(const std::string& parent, const std::string& base) {
    if (base == kOpaqueMarker) {
      int pfd = parent_fd(parent);
      if (::fsetxattr(pfd, kOverlayOpaque, "y", 1, 0) != 0)
        refuse_sys("mark directory opaque (" + std::string(kOverlayOpaque) + ")");
      return;
    }
    if (starts_with(base, ".wh..wh.")) {  // AUFS bookkeeping (.wh..wh.plnk, ...): meaningless here
      aufs_meta_.push_back(name_);
      return;
    }
    std::string victim = base.substr(std::strlen(kWhiteoutPrefix));
    if (victim.empty()) refuse("bad whiteout name: it deletes nothing");
    if (victim == "." || victim == "..")
      refuse("bad whiteout name: it would delete '" + victim + "'");
    int pfd = parent_fd(parent);
    struct stat st;
    // An entry of this very layer wins over its own whiteout (whiteouts apply to lower layers).
    if (::fstatat(pfd, victim.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return;
    if (::mknodat(pfd, victim.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0)
      refuse_sys("create overlay whiteout (char device 0:0)");
  }

  void entry(archive_entry* e) {
    const char* p = archive_entry_pathname(e);
    if (!p) {
      name_ = "?";
      refuse("name cannot be decoded");
    }
    name_ = p;
    std::string rel = normalize_entry_name(name_, ctx_);
    budget_.entry(name_, rel);
    const char* hl = archive_entry_hardlink(e);
    auto type = archive_entry_filetype(e);
    if (rel.empty()) {  // "./": the layer root itself
      if (hl || type != AE_IFDIR) refuse("the root entry is not a directory");
      set_owner(root_, e);
      set_xattrs(root_, e);
      defer_dir(e, "");
      return;
    }
    size_t slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
    std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    for (size_t pos = 0; pos < parent.size();) {
      size_t s = parent.find('/', pos);
      if (s == std::string::npos) s = parent.size();
      if (starts_with(parent.substr(pos, s - pos), kWhiteoutPrefix))
        refuse("a whiteout name is used as a directory");
      pos = s + 1;
    }
    if (starts_with(base, kWhiteoutPrefix)) {
      if (hl || (type != AE_IFREG && type != 0)) refuse("a whiteout must be a plain file");
      whiteout(parent, base);
      return;
    }
    int pfd = parent_fd(parent);
    if (hl) {
      hardlink(hl, pfd, base, rel);
      return;
    }
    switch (type) {
      case AE_IFREG:
        regular(e, pfd, base);
        break;
      case AE_IFDIR:
        directory(e, pfd, base, rel);
        break;
      case AE_IFLNK:
        symlink(e, pfd, base);
        break;
      case AE_IFIFO:
        fifo(e, pfd, base);
        break;
      case AE_IFCHR:
      case AE_IFBLK:
      case AE_IFSOCK:
        // /dev is rebuilt by the runtime; a device node in an image is never needed and a char
        // device 0:0 would be indistinguishable from an overlay whiteout.
        clear_slot(pfd, base, false);
        skipped_.insert(rel);
        skipped_devices_.push_back(rel);
        break;
      default:
        refuse("unknown entry type");
    }
  }

  void finish_dirs() {
    std::set<std::string> done;  // a directory listed twice: the later entry wins
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
      if (!done.insert(it->path).second) continue;
      name_ = it->path.empty() ? "./" : it->path;
      UniqueFd own;
      int fd = root_;
      if (!it->path.empty()) {
        // No symlink on the way, as walk() opens it; gone when a later entry replaced it (e.g. a
        // symlink of the same name).
        own = runtime::openat2(root_, it->path, O_RDONLY | O_DIRECTORY,
                               RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (!own.valid()) continue;
        fd = own.get();
      }
      if (::fchmod(fd, it->mode) != 0) refuse_sys("chmod directory");
      if (::futimens(fd, it->times) != 0) refuse_sys("set directory times");
    }
  }

  void report() {
    if (!skipped_devices_.empty())
      warnings_.push_back(ctx_ + ": skipped " + std::to_string(skipped_devices_.size()) +
                          " device node(s)/socket(s), e.g. '" + skipped_devices_[0] +
                          "' (the runtime builds its own /dev)");
    if (!dropped_xattrs_.empty()) {
      std::string list;
      for (auto& n : dropped_xattrs_) list += (list.empty() ? "" : ", ") + n;
      warnings_.push_back(ctx_ + ": dropped extended attributes other than security.capability " +
                          "and user.*: " + list);
    }
    if (!aufs_meta_.empty())
      warnings_.push_back(ctx_ + ": ignored " + std::to_string(aufs_meta_.size()) +
                          " AUFS metadata entr(ies), e.g. '" + aufs_meta_[0] + "'");
    if (not_root_owner_)
      warnings_.push_back(ctx_ + ": not running as root: file owners were not restored");
  }

  TarStream& tar_;
  int root_;
  const std::string& ctx_;
  std::vector<std::string>& warnings_;
  UnpackBudget& budget_;
  bool is_root_;
  std::string name_;
  UniqueFd cached_;
  std::string cached_parent_;
  std::vector<DirMeta> dirs_;
  std::set<std::string> skipped_;
  std::vector<std::string> skipped_devices_;
  std::set<std::string> dropped_xattrs_;
  std::vector<std::string> aufs_meta_;
  bool not_root_owner_ = false;
};

}  // namespace

std::optional<std::string> clean_entry_name(const std::string& raw, const char** why) {
  const char* problem = nullptr;
  if (raw.empty())
    problem = "empty name";
  else if (raw[0] == '/')
    problem = "absolute path";
  else if (raw.size() >= PATH_MAX)
    problem = "name too long";
  std::string out;
  if (!problem)
    for (const auto& comp : runtime::split(raw, '/')) {
      if (comp.empty() || comp == ".") continue;
      if (comp == "..") problem = "path escapes the root";
      out += (out.empty() ? "" : "/") + comp;
    }
  if (why) *why = problem;
  if (problem) return std::nullopt;
  return out;
}

std::string normalize_entry_name(const std::string& raw, const std::string& context) {
  const char* why = nullptr;
  auto name = clean_entry_name(raw, &why);
  if (!name) throw Error(entry_message(context, raw, why));
  return *name;
}

void unpack_layer(TarStream& tar, int root_fd, const std::string& context,
                  std::vector<std::string>& warnings, UnpackBudget& budget) {
  Unpacker(tar, root_fd, context, warnings, budget).run();
}

}  // namespace policy::image
