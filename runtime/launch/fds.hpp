// File descriptors: ownership, hygiene before clone (CLOEXEC) and before execve (close_range).
#pragma once

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

namespace policy::launch {

// Owns one file descriptor; closes it when destroyed.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

namespace fds {

// Parent, before clone: every fd >= 3 of the runtime gets FD_CLOEXEC so that nothing the caller
// opened can survive into the container's execve, even if a later step forgets to close it.
void mark_cloexec_from(int first);

// Child: closes every fd >= 3 except those in `keep` (e.g. the CLOEXEC error pipe, which the
// kernel closes on a successful execve). Defends against leaked host fds (CVE-2024-21626).
void close_all_except(std::vector<int> keep);

// "/proc/self/fd/N": a path naming exactly the object behind fd (for mount(2) targets).
std::string fd_path(int fd);

// Makes stdio 0, 1, 2 of the child the given fds (no-op where already equal).
void install_stdio(int in, int out, int err);

}  // namespace fds
}  // namespace policy::launch
