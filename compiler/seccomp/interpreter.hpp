// Runs a seccomp program the way the kernel does, for one system call, and names its verdict.
#pragma once

#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/describe.hpp"
#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

struct RunResult {
  uint32_t ret = 0;         // the SECCOMP_RET_* value the filter returned
  size_t executed = 0;      // instructions executed, the RET included
  uint16_t words_read = 0;  // bit i set: the 32-bit word at offset 4*i of seccomp_data was read
  bool read_args() const { return (words_read & 0xfff0) != 0; }  // args[] (offsets 16..63)
};

// Executes `prog` on `data`. Throws policy::Error when the program is one the kernel would refuse
// (see program_problem); it validates on every call, so validate once and use run_filter_unchecked
// in loops.
uint32_t run_filter(const Program& prog, const struct seccomp_data& data);
RunResult run_filter_traced(const Program& prog, const struct seccomp_data& data);
// Same, for a program already accepted by validate_program (bounds are still checked; an
// instruction the kernel would refuse throws).
RunResult run_filter_unchecked(const Program& prog, const struct seccomp_data& data);

// What the kernel returns when two filters answer one call: the more restrictive action (the lower
// signed SECCOMP_RET_ACTION_FULL value, seccomp(2) "return values"); on a tie, the newer filter's.
uint32_t stronger(uint32_t newer, uint32_t older);
// The kernel's verdict over every installed filter (`filters` in installation order, oldest first;
// none: allow). Each program must be one validate_program accepts.
uint32_t run_filters_unchecked(const std::vector<Program>& filters,
                               const struct seccomp_data& data);

// The action a SECCOMP_RET_* value stands for, as the kernel reads it (an unknown action kills the
// process). Errno/Trace/Trap keep the 16 data bits in value.
ir::Action action_of(uint32_t ret);
// The SECCOMP_RET_* value of an action (errno and trace/trap data in the low 16 bits).
uint32_t ret_of(const ir::Action& action);
// The action of a SECCOMP_RET_* value in the policy language's words (ir::describe).
std::string describe(uint32_t ret);
// Callers that name both RET values and IR actions write seccomp::describe for either.
using ir::describe;

// AUDIT_ARCH_* value the kernel puts in seccomp_data.arch for a libseccomp arch token (they are the
// same except x32, whose calls arrive as x86_64 with __X32_SYSCALL_BIT in the number).
uint32_t audit_arch(uint32_t arch_token);
// True when libseccomp compares arguments of this arch as 32-bit values (x86, x32, arm, ...).
bool arch_is_32bit(uint32_t arch_token);

}  // namespace policy::seccomp
