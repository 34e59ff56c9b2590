#include "runtime/launch/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "compiler/common/error.hpp"
#include "runtime/launch/mounts.hpp"

namespace policy::launch::sysctl {

void apply(int root, const std::vector<ir::Sysctl>& sysctls) {
  for (const ir::Sysctl& s : sysctls) {
    std::string path = "/proc/sys/" + s.key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    const std::string what = "sysctl " + s.key;
    UniqueFd fd = mounts::open_in_root(root, path, O_WRONLY | O_CLOEXEC, what);
    if (!fd.valid())
      throw Error(what + ": this kernel has no " + path +
                  " (the sysctl does not exist here); remove it from the policy's sysctl section");
    ssize_t n = ::write(fd.get(), s.value.data(), s.value.size());
    if (n != static_cast<ssize_t>(s.value.size()))
      throw sys_error(what + ": write \"" + s.value + "\" to", path);
  }
}

}  // namespace policy::launch::sysctl
