// What one enforcement layer (AppArmor, Landlock) does with each rule of the Policy IR:
// enforced, partially (why), or not at all (why). Shared by both LSM backends and by the
// enforceability report (`policyc compile --report`). Header-only so that neither backend library
// depends on the other.
#pragma once

#include <string>
#include <vector>

#include "compiler/common/source.hpp"
#include "compiler/ir/filesystem.hpp"
#include "compiler/ir/network.hpp"

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

// ---- rules as the policy language writes them (docs/language.md), for reports and logs ----

inline std::string access_words(uint32_t access) {
  static const std::pair<uint32_t, const char*> kWords[] = {
      {ir::kRead, "read"}, {ir::kWrite, "write"}, {ir::kAppend, "append"}, {ir::kExec, "exec"},
      {ir::kMap, "map"},   {ir::kLink, "link"},   {ir::kLock, "lock"}};
  std::string out;
  for (auto& [bit, word] : kWords) {
    if (!(access & bit)) continue;
    if (!out.empty()) out += '+';
    out += word;
  }
  return out;
}

inline std::string describe(const ir::PathRule& r) {
  return (r.deny ? "deny " : "") + access_words(r.access) + " " + r.pattern;
}

inline std::string describe(const ir::SocketRule& r) {
  std::string s = r.deny ? "deny " : "";
  if (r.family.empty()) return s + "all";
  s += r.family;
  if (!r.type.empty()) s += " " + r.type;
  return s;
}

inline std::string describe(const ir::PortRule& r) {
  std::string s = r.deny ? "deny " : "";
  s += r.kind == ir::PortRule::Bind ? "bind " : "connect ";
  s += r.protocol + " " + std::to_string(r.first);
  if (r.last != r.first) s += "-" + std::to_string(r.last);
  return s;
}

inline std::string join_perms(const std::vector<std::string>& perms) {
  std::string s;
  for (auto& p : perms) s += (s.empty() ? "" : ", ") + p;
  return s;
}

inline std::string describe(const ir::MountRule& r) {
  return (r.deny ? "deny " : "") + r.kind + (r.text.empty() ? "" : " " + r.text);
}

inline std::string describe(const ir::SignalRule& r) {
  return (r.deny ? "deny " : "") + std::string("signal (") + join_perms(r.perms) + ")" +
         (r.peer.empty() ? "" : " peer=" + r.peer);
}

inline std::string describe(const ir::PtraceRule& r) {
  return (r.deny ? "deny " : "") + std::string("ptrace (") + join_perms(r.perms) + ")" +
         (r.peer.empty() ? "" : " peer=" + r.peer);
}

}  // namespace policy
