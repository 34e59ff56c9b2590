#include "runtime/launch/rlimits.hpp"

#include <sys/resource.h>

#include <string>

#include "compiler/common/error.hpp"

namespace policy::launch::rlimits {

void apply(const std::vector<ir::Rlimit>& limits) {
  for (const auto& l : limits) {
    struct rlimit r {
      static_cast<rlim_t>(l.soft), static_cast<rlim_t>(l.hard)
    };
    if (::setrlimit(static_cast<__rlimit_resource>(l.resource), &r) != 0)
      throw sys_error((l.loc.known() ? l.loc.str() + ": " : std::string()) + "setrlimit(resource " +
                      std::to_string(l.resource) + ", soft " + std::to_string(l.soft) + ", hard " +
                      std::to_string(l.hard) + ") (the soft limit must not exceed the hard one)");
  }
}

}  // namespace policy::launch::rlimits
