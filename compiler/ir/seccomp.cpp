#include "compiler/ir/seccomp.hpp"

#include <algorithm>

namespace policy::ir {

bool applies(const SyscallRule& rule, uint32_t arch, const KernelVersion& kernel) {
  auto named = [arch](const std::vector<uint32_t>& arches) {
    return std::find(arches.begin(), arches.end(), arch) != arches.end();
  };
  if (!rule.arches.empty() && !named(rule.arches)) return false;
  if (named(rule.not_arches)) return false;
  return !rule.min_kernel || kernel >= *rule.min_kernel;
}

}  // namespace policy::ir
