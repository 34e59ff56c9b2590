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

bool never_holds(const Comparison& c, bool narrow) {
  uint64_t v = c.value, m = c.mask;
  if (narrow) v &= 0xffffffffULL, m &= 0xffffffffULL;
  if (!narrow && c.width == ArgWidth::Bits32 && v > 0xffffffffULL) return true;
  return c.op == CmpOp::MaskedEq && (v & ~m) != 0;
}

}  // namespace policy::ir
