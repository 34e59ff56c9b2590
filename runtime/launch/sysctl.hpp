// Namespaced sysctls (the policy's `sysctl` section): written through the container's own fresh
// /proc/sys, so they land in its own net, ipc and uts namespaces, before /proc/sys is made
// read-only. The compiler has already refused every sysctl that is not namespaced.
#pragma once

#include <vector>

#include "compiler/ir/runtime_plan.hpp"

namespace policy::launch::sysctl {

// `root` is the container root's fd, its /proc already mounted. Throws policy::Error naming the
// sysctl and the file when one cannot be written.
void apply(int root, const std::vector<ir::Sysctl>& sysctls);

}  // namespace policy::launch::sysctl
