// File descriptors: ownership, hygiene before clone (CLOEXEC) and before execve (close_range).
#pragma once

#include <string>
#include <vector>

#include "runtime/common/unique_fd.hpp"

namespace policy::launch {

using runtime::UniqueFd;  // runtime/common/unique_fd.hpp

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
