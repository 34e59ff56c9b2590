// Syscalls newer than the compiler's tables get ENOSYS, not the default action: a program that
// tries a syscall this filter cannot know of (mseal, statmount, ... after libseccomp 2.5.4) must
// see "not implemented" and fall back, as under runc's ENOSYS stub, rather than EPERM.
// docs/seccomp.md ("Syscalls newer than the tables") gives the rule and the reasons.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

// True when a filter with this default action answers unknown numbers with ENOSYS: every default
// but allow, log and trace (those let the call reach the kernel, which answers ENOSYS itself, or a
// tracer that handles it, as runc reasons).
bool enosys_for_unknown_syscalls(const ir::Action& default_action);

// The numbers of `arch` (as the filter sees them: x32 numbers carry the x32 bit) that the rule
// covers, in order: every number above the end of the arch's syscall table that libseccomp does
// not know, up to the end of the arch's number space (0x3fffffff on x86_64, where x32's begin;
// 0xfffffffe elsewhere). The table ends at the highest number libseccomp knows before a gap of more
// than 4096 numbers (arm's private calls at 0xf0001.. come after such a gap, and the numbers
// between are new syscalls too). -1 is never in it (it means "no syscall": a tracer skipped the
// call) and keeps the default. Empty when libseccomp knows no syscall of the arch.
struct NumberSpan {
  uint32_t lo = 0, hi = 0;  // inclusive
};
std::vector<NumberSpan> unknown_syscall_spans(uint32_t arch);
bool is_unknown_syscall_number(uint32_t arch, uint32_t nr);

// errno(ENOSYS), the action those numbers get.
ir::Action enosys_action();

// `prog` with a short stub in front that answers the unknown numbers of each of `arches` with
// ENOSYS and lets every other call through to `prog` unchanged. The stub loads only arch and nr and
// tests them with JEQ/JGE/JGT, so the kernel's constant-action cache still sees through it. Used
// by the libseccomp backend (libseccomp itself cannot name numbers it does not know).
Program with_enosys_stub(const Program& prog, const std::vector<uint32_t>& arches);

}  // namespace policy::seccomp
