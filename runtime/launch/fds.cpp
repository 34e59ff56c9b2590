#include "runtime/launch/fds.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "compiler/common/error.hpp"

namespace policy::launch::fds {

void mark_cloexec_from(int first) {
  if (::close_range(static_cast<unsigned>(first), UINT_MAX, CLOSE_RANGE_CLOEXEC) != 0)
    throw sys_error("close_range(CLOSE_RANGE_CLOEXEC) on the runtime's fds (needs Linux 5.11)");
}

void close_all_except(std::vector<int> keep) {
  std::sort(keep.begin(), keep.end());
  unsigned next = 3;
  for (int k : keep) {
    if (k < static_cast<int>(next)) continue;
    if (static_cast<unsigned>(k) > next &&
        ::close_range(next, static_cast<unsigned>(k) - 1, 0) != 0)
      throw sys_error("close_range: closing inherited fds");
    next = static_cast<unsigned>(k) + 1;
  }
  if (::close_range(next, UINT_MAX, 0) != 0) throw sys_error("close_range: closing inherited fds");
}

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

void install_stdio(int in, int out, int err) {
  const int want[3] = {in, out, err};
  // Duplicate above 2 first so that installing one cannot clobber a source of another.
  int tmp[3];
  for (int i = 0; i < 3; ++i) {
    tmp[i] = ::fcntl(want[i], F_DUPFD_CLOEXEC, 3);
    if (tmp[i] < 0) throw sys_error("dup stdio fd " + std::to_string(want[i]));
  }
  for (int i = 0; i < 3; ++i) {
    if (::dup2(tmp[i], i) < 0) throw sys_error("dup2 onto stdio " + std::to_string(i));
    ::close(tmp[i]);
  }
}

}  // namespace policy::launch::fds
