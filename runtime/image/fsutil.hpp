// Small *at-syscall helpers of the unpacker and the cache (the rest is in runtime/common/host.hpp).
// None of them follows a symlink.
#pragma once

#include <string>

#include "runtime/common/host.hpp"

namespace policy::image {

using runtime::UniqueFd;

// Creates `path` (and missing parents) as directories with `mode`; refuses a symlink anywhere
// along the way. Returns an O_DIRECTORY fd of the last one.
UniqueFd make_dirs(const std::string& path, unsigned mode);

}  // namespace policy::image
