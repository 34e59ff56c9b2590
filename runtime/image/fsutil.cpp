#include "runtime/image/fsutil.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "compiler/common/error.hpp"

namespace policy::image {

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

namespace {

void remove_children(int dfd, const std::string& display) {
  int dup_fd = ::dup(dfd);
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
    remove_tree_at(dfd, n, display + "/" + n);  // a directory, or d_type was not conclusive
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
  Fd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) {
    if (errno == ENOENT) return;
    throw sys_error("open", display);
  }
  // A directory unpacked with mode 0000 still has to be emptied.
  ::fchmod(sub.get(), 0700);
  remove_children(sub.get(), display);
  if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
    throw sys_error("rmdir", display);
}

Fd make_dirs(const std::string& path, unsigned mode) {
  if (path.empty() || path[0] != '/') throw Error("cache path must be absolute: '" + path + "'");
  Fd cur(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur) throw sys_error("open", "/");
  std::string done;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    std::string comp = path.substr(pos, next - pos);
    pos = next + 1;
    if (comp.empty() || comp == ".") continue;
    done += "/" + comp;
    if (::mkdirat(cur.get(), comp.c_str(), mode) != 0 && errno != EEXIST)
      throw sys_error("mkdir", done);
    Fd sub(::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) {
      if (errno == ELOOP || errno == ENOTDIR)
        throw Error(done + ": is a symlink or not a directory; the image cache path must be " +
                    "made of real directories (choose another --cache-root or remove it)");
      throw sys_error("open", done);
    }
    cur = std::move(sub);
  }
  return cur;
}

std::string random_name() {
  unsigned char b[8];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  return hex_bytes(std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

std::string hex_bytes(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace policy::image
