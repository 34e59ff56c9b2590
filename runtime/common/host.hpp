// The runtime's base room: host-file-system helpers that the image cache and the launch both need,
// written once. None of them follows a symlink it was not asked to follow.
#pragma once

#include <fcntl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/common/unique_fd.hpp"

namespace policy::runtime {

// openat2(2): opens `path` below `dirfd` with `flags` (O_CLOEXEC is added) and the RESOLVE_*
// bits in `resolve`. Returns an invalid fd with errno set on failure (ENOSYS: Linux < 5.6).
UniqueFd openat2(int dirfd, const std::string& path, int flags, uint64_t resolve);

// Reads what is left of `fd` to its end. Nothing on a read error (errno set), or when more than
// `limit` bytes arrive (errno EFBIG): for files whose absence or failure is an answer.
std::optional<std::string> try_read_fd(int fd, size_t limit = SIZE_MAX);

// The same, throwing policy::Error naming `display` on a read error, or when more than `limit`
// bytes arrive.
std::string read_fd(int fd, const std::string& display, size_t limit = SIZE_MAX);

// Writes all of `data` to `fd` (again after EINTR or a short write). Throws policy::Error
// naming `what` and `path` (as sys_error does) when a write fails or writes nothing.
void write_fd(int fd, std::string_view data, const std::string& what, const std::string& path = {});

// Removes `name` below `dirfd` (AT_FDCWD: a path) and everything under it, never following a
// symlink and never descending into another mount (whose mount point then stays, and the
// removal fails). A directory of mode 0000 is emptied too. Missing is not an error. Throws
// policy::Error naming `display` on failure.
void remove_tree_at(int dirfd, const std::string& name, const std::string& display);
inline void remove_tree(const std::string& path) {
  remove_tree_at(AT_FDCWD, path, path);
}

// 2 * `bytes` random lowercase hex characters from getrandom(2): temporary names, run ids.
std::string random_hex(size_t bytes);

}  // namespace policy::runtime
