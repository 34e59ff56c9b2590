#include "compiler/ir/describe.hpp"

#include "compiler/common/names.hpp"

namespace policy::ir {

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

}  // namespace policy::ir
