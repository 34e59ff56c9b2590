#include "compiler/ir/describe.hpp"

#include <utility>

#include "compiler/common/names.hpp"

namespace policy::ir {
namespace {

// "deny signal (send, receive) peer=web"
std::string peer_rule(bool deny, const char* kind, const std::vector<std::string>& perms,
                      const std::string& peer) {
  std::string s = std::string(deny ? "deny " : "") + kind + " (";
  for (size_t i = 0; i < perms.size(); ++i) s += (i ? ", " : "") + perms[i];
  s += ")";
  if (!peer.empty()) s += " peer=" + peer;
  return s;
}

}  // namespace

std::string describe(const Action& a) {
  switch (a.kind) {
    case ActionKind::Allow:
      return "allow";
    case ActionKind::Errno: {
      auto n = names::errno_name(static_cast<int>(a.value));
      return "errno(" + (n ? *n : std::to_string(a.value)) + ")";
    }
    case ActionKind::KillProcess:
      return "kill-process";
    case ActionKind::KillThread:
      return "kill-thread";
    case ActionKind::Trap:
      return a.value ? "trap(" + std::to_string(a.value) + ")" : std::string("trap");
    case ActionKind::Log:
      return "log";
    case ActionKind::Trace:
      return "trace(" + std::to_string(a.value) + ")";
    case ActionKind::UserNotify:
      return "user-notify";
  }
  return "kill-process";
}

std::string access_words(uint32_t access) {
  static const std::pair<uint32_t, const char*> kWords[] = {
      {kRead, "read"}, {kWrite, "write"}, {kAppend, "append"}, {kExec, "exec"},
      {kMap, "map"},   {kLink, "link"},   {kLock, "lock"}};
  std::string out;
  for (auto& [bit, word] : kWords) {
    if (!(access & bit)) continue;
    if (!out.empty()) out += '+';
    out += word;
  }
  return out;
}

std::string describe(const PathRule& r) {
  return (r.deny ? "deny " : "") + access_words(r.access) + " " + r.pattern;
}

std::string describe(const SocketRule& r) {
  std::string s = r.deny ? "deny " : "";
  if (r.family.empty()) return s + "all";
  s += r.family;
  if (!r.type.empty()) s += " " + r.type;
  return s;
}

std::string describe(const PortRule& r) {
  std::string s = r.deny ? "deny " : "";
  s += r.kind == PortRule::Bind ? "bind " : "connect ";
  s += r.protocol + " " + std::to_string(r.first);
  if (r.last != r.first) s += "-" + std::to_string(r.last);
  return s;
}

std::string describe(const MountRule& r) {
  return (r.deny ? "deny " : "") + r.kind + (r.text.empty() ? "" : " " + r.text);
}

std::string describe(const SignalRule& r) {
  return peer_rule(r.deny, "signal", r.perms, r.peer);
}

std::string describe(const PtraceRule& r) {
  return peer_rule(r.deny, "ptrace", r.perms, r.peer);
}

}  // namespace policy::ir
