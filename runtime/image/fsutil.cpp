#include "runtime/image/fsutil.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"

namespace policy::image {

UniqueFd make_dirs(const std::string& path, unsigned mode) {
  if (path.empty() || path[0] != '/') throw Error("cache path must be absolute: '" + path + "'");
  UniqueFd cur(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur.valid()) throw sys_error("open", "/");
  std::string done;
  for (const auto& comp : runtime::split(path, '/')) {
    if (comp.empty() || comp == ".") continue;
    done += "/" + comp;
    if (::mkdirat(cur.get(), comp.c_str(), mode) != 0 && errno != EEXIST)
      throw sys_error("mkdir", done);
    UniqueFd sub(
        ::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) {
      if (errno == ELOOP || errno == ENOTDIR)
        throw Error(done + ": is a symlink or not a directory; the image cache path must be " +
                    "made of real directories (choose another --cache-root or remove it)");
      throw sys_error("open", done);
    }
    cur = std::move(sub);
  }
  return cur;
}

}  // namespace policy::image
