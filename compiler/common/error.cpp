#include "compiler/common/error.hpp"

#include <cstring>

namespace policy {

Error sys_error(const std::string& what, const std::string& path) {
  int e = errno;
  std::string msg = what;
  if (!path.empty()) msg += ": " + path;
  msg += ": ";
  msg += std::strerror(e);
  return Error(msg, e);
}

}  // namespace policy
