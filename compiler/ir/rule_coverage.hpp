// What one enforcement layer (AppArmor, Landlock) does with each rule of the Policy IR:
// enforced, partially (why), or not at all (why). Written by both LSM backends, read by the
// enforceability report (`policyc compile --report`) and by policyrun's messages; the rule itself
// is in the policy language's words (compiler/ir/describe.hpp).
#pragma once

#include <string>

#include "compiler/common/source.hpp"

namespace policy {

enum class Enforcement { Enforced, Partial, NotEnforced };

inline const char* enforcement_name(Enforcement e) {
  switch (e) {
    case Enforcement::Enforced:
      return "enforced";
    case Enforcement::Partial:
      return "partially";
    case Enforcement::NotEnforced:
      return "not enforced";
  }
  return "?";
}

struct RuleCoverage {
  SourceLoc loc;      // the rule in the policy (unknown for built-in rules)
  std::string rule;   // the rule in policy-language words, e.g. "deny write /proc/sys/**"
  std::string layer;  // "apparmor" or "landlock"
  Enforcement status = Enforcement::Enforced;
  std::string reason;  // why it is partial or not enforced; empty when enforced
};

}  // namespace policy
