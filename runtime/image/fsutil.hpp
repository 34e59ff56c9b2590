// Small *at-syscall helpers shared by the unpacker and the cache. None of them follows a symlink.
#pragma once

#include <string>
#include <string_view>

namespace policy::image {

// Owns one file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Removes `name` below `dirfd` and everything under it without following symlinks.
// Missing is not an error. Throws policy::Error naming `display` on failure.
void remove_tree_at(int dirfd, const std::string& name, const std::string& display);

// Creates `path` (and missing parents) as directories with `mode`; refuses a symlink anywhere
// along the way. Returns an O_DIRECTORY fd of the last one.
Fd make_dirs(const std::string& path, unsigned mode);

// 16 random hex characters from getrandom(2).
std::string random_name();

// Two lowercase hex digits per byte.
std::string hex_bytes(std::string_view bytes);

}  // namespace policy::image
