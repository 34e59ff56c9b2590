#include "compiler/review/delta.hpp"

#include <algorithm>

namespace policy::review {

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::Widen:
      return "widen";
    case Direction::Narrow:
      return "narrow";
    case Direction::Change:
      return "change";
  }
  return "?";
}

size_t Delta::count(Direction d) const {
  return std::count_if(changes.begin(), changes.end(),
                       [d](const Change& c) { return c.direction == d; });
}

Delta diff_policies(const ir::Policy& old_policy, const ir::Policy& new_policy,
                    const driver::SeccompOptions& options) {
  Delta d;
  d.changes = seccomp_changes(old_policy, new_policy, options);
  for (Change& c : layer_changes(old_policy, new_policy)) d.changes.push_back(std::move(c));
  // Widenings first (a reviewer reads those), most severe first; generation order otherwise.
  std::stable_sort(d.changes.begin(), d.changes.end(), [](const Change& a, const Change& b) {
    if (a.direction != b.direction) return a.direction < b.direction;
    return a.severity > b.severity;
  });
  return d;
}

}  // namespace policy::review
