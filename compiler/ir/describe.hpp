// Parts of the Policy IR as the policy language writes them (docs/language.md), for diagnostics,
// reports, logs and generated policies: one spelling each, which the language reads back.
#pragma once

#include <string>

#include "compiler/ir/seccomp.hpp"

namespace policy::ir {

// "allow", "errno(EPERM)", "errno(4095)", "kill-process", "kill-thread", "trap", "trap(3)",
// "log", "trace(7)", "user-notify". The language also reads `kill` for kill-process; this
// writes the longer name, which says what the kernel does (SECCOMP_RET_KILL_PROCESS).
std::string describe(const Action& action);

}  // namespace policy::ir
