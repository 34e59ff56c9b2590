#include "runtime/common/host.hpp"

#include <dirent.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"

namespace policy::runtime {

UniqueFd openat2(int dirfd, const std::string& path, int flags, uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = resolve;
  return UniqueFd(static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how)));
}

std::optional<std::string> try_read_fd(int fd, size_t limit) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > limit) {
      errno = EFBIG;
      return std::nullopt;
    }
  }
}

std::string read_fd(int fd, const std::string& display, size_t limit) {
  std::optional<std::string> out = try_read_fd(fd, limit);
  if (out) return *std::move(out);
  if (errno == EFBIG)
    throw Error(display + ": larger than " + std::to_string(limit) + " bytes; refusing");
  throw sys_error("read", display);
}

void write_fd(int fd, std::string_view data, const std::string& what, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw sys_error(what, path);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

namespace {

void remove_children(int dfd, const std::string& display, dev_t dev) {
  int dup_fd = ::fcntl(dfd, F_DUPFD_CLOEXEC, 3);
  if (dup_fd < 0) throw sys_error("dup", display);
  DIR* d = ::fdopendir(dup_fd);
  if (!d) {
    ::close(dup_fd);
    throw sys_error("fdopendir", display);
  }
  std::vector<std::pair<std::string, bool>> names;
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n, de->d_type == DT_DIR);
  }
  ::closedir(d);
  for (auto& [n, is_dir] : names) {
    if (!is_dir && (::unlinkat(dfd, n.c_str(), 0) == 0 || errno == ENOENT)) continue;
    // A directory, or d_type was not conclusive.
    struct stat st;
    if (::fstatat(dfd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      throw sys_error("stat", display + "/" + n);
    }
    if (S_ISDIR(st.st_mode) && st.st_dev != dev)
      throw Error(display + "/" + n + ": a mount point; not removed (unmount it first)", EBUSY);
    remove_tree_at(dfd, n, display + "/" + n);
  }
}

}  // namespace

void remove_tree_at(int dirfd, const std::string& name, const std::string& display) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    throw sys_error("stat", display);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT)
      throw sys_error("unlink", display);
    return;
  }
  UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub.valid()) {
    if (errno == ENOENT) return;
    throw sys_error("open", display);
  }
  // A directory unpacked with mode 0000 still has to be emptied.
  ::fchmod(sub.get(), 0700);
  remove_children(sub.get(), display, st.st_dev);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw sys_error("rmdir", display);
}

std::string random_hex(size_t bytes) {
  std::string b(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(b.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  return hex_bytes(b);
}

}  // namespace policy::runtime
