#include "runtime/launch/apply_capabilities.hpp"

#include <sys/capability.h>

#include <string>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"

namespace policy::launch::capabilities {
namespace {

std::string name_of(int cap) {
  std::string n = names::capability_name(cap);
  return n.empty() ? "capability " + std::to_string(cap) : n;
}

bool in(uint64_t set, int cap) {
  return cap < 64 && ((set >> cap) & 1);
}

}  // namespace

void drop_bounding(const ir::CapabilitySets& sets) {
  const int max = static_cast<int>(cap_max_bits());
  for (int c = 0; c < max; ++c) {
    if (in(sets.bounding, c)) continue;
    if (cap_drop_bound(static_cast<cap_value_t>(c)) != 0)
      throw sys_error("capabilities: drop " + name_of(c) + " from the bounding set");
  }
}

void apply(const ir::CapabilitySets& sets) {
  const int max = static_cast<int>(cap_max_bits());
  cap_t caps = cap_init();
  if (!caps) throw sys_error("capabilities: cap_init");
  for (int c = 0; c < max; ++c) {
    cap_value_t v = static_cast<cap_value_t>(c);
    if (in(sets.permitted, c)) cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
    if (in(sets.effective, c)) cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
    if (in(sets.inheritable, c)) cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
  }
  int rc = cap_set_proc(caps);
  cap_free(caps);
  if (rc != 0)
    throw sys_error("capabilities: capset (the effective set must be within the permitted set)");
  if (cap_reset_ambient() != 0 && errno != EINVAL) throw sys_error("capabilities: clear ambient");
  for (int c = 0; c < max; ++c) {
    if (!in(sets.ambient, c)) continue;
    if (cap_set_ambient(static_cast<cap_value_t>(c), CAP_SET) != 0)
      throw sys_error("capabilities: raise ambient " + name_of(c) +
                      " (it must also be permitted and inheritable)");
  }
}

}  // namespace policy::launch::capabilities
