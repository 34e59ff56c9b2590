// Parts of the Policy IR as the policy language writes them (docs/language.md), for diagnostics,
// reports, logs and generated policies: one spelling each, which the language reads back.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/ir/filesystem.hpp"
#include "compiler/ir/network.hpp"
#include "compiler/ir/seccomp.hpp"

namespace policy::ir {

// "allow", "errno(EPERM)", "errno(4095)", "kill-process", "kill-thread", "trap", "trap(3)",
// "log", "trace(7)", "user-notify". The language also reads `kill` for kill-process; this
// writes the longer name, which says what the kernel does (SECCOMP_RET_KILL_PROCESS).
std::string describe(const Action& action);

// The access bits of a path rule as the language writes them: "read+write+exec".
std::string access_words(uint32_t access);

// Rules as the policy language writes them: "deny write /proc/sys/**", "inet6 stream",
// "bind tcp 8000-8080", "deny mount fstype=proc", "signal (send, receive) peer=web",
// "ptrace (read) peer=web".
std::string describe(const PathRule& rule);
std::string describe(const SocketRule& rule);
std::string describe(const PortRule& rule);
std::string describe(const MountRule& rule);
std::string describe(const SignalRule& rule);
std::string describe(const PtraceRule& rule);

}  // namespace policy::ir
