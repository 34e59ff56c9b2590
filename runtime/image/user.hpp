// The image config's User ("", "name", "uid", "name:group", "uid:gid") resolved the way Docker
// does, against /etc/passwd and /etc/group of the container's root. Both files are read with
// openat2(RESOLVE_IN_ROOT), so a symlinked /etc/passwd can never point at the host's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace policy::image {

struct ExecUser {
  uint32_t uid = 0, gid = 0;
  std::vector<uint32_t> supplementary_groups;  // /etc/group memberships (when no group is given)
  std::string home = "/";
};

// `root_fd`: the container's root directory (e.g. the merged overlay before pivot_root).
// Throws policy::Error (naming `what`, e.g. the image) for an unknown user or group name.
ExecUser resolve_user(int root_fd, const std::string& user, const std::string& what);

}  // namespace policy::image
