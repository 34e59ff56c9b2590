#include "runtime/launch/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "compiler/common/error.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::files {

bool try_write(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;
  ssize_t n = ::write(fd.get(), content.data(), content.size());
  return n == static_cast<ssize_t>(content.size());
}

void write(const std::string& path, const std::string& content) {
  if (!try_write(path, content)) throw sys_error("write '" + content + "'", path);
}

void write_each(const std::string& path, const std::vector<std::string>& records) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) throw sys_error("open", path);
  for (const auto& r : records)
    if (::write(fd.get(), r.data(), r.size()) != static_cast<ssize_t>(r.size()))
      throw sys_error("write '" + r + "'", path);
}

std::string read(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) throw sys_error("open", path);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) throw sys_error("read", path);
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void make_dir(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw sys_error("mkdir", path);
}

namespace {

void remove_children(int dirfd, const std::string& where, dev_t dev) {
  int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0) throw sys_error("dup", where);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    ::close(dup);
    throw sys_error("fdopendir", where);
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) continue;  // a mount: never descend into another file system
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.valid()) remove_children(sub.get(), where + "/" + name, dev);
      ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
    } else {
      ::unlinkat(dirfd, name.c_str(), 0);
    }
  }
  ::closedir(d);
}

}  // namespace

void remove_tree(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return;
    throw sys_error("open for removal", path);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw sys_error("stat", path);
  remove_children(fd.get(), path, st.st_dev);
  fd.reset();
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) throw sys_error("rmdir", path);
}

std::string random_id() {
  unsigned char b[6];
  if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) throw sys_error("getrandom");
  char out[13];
  for (int i = 0; i < 6; ++i) std::snprintf(out + 2 * i, 3, "%02x", b[i]);
  return std::string(out, 12);
}

}  // namespace policy::launch::files
