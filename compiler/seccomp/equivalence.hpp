// Exhaustive comparison of two seccomp programs, and the IR's own verdict for one call: the tools
// tests use to show that two builds of a policy decide every call the same way.
#pragma once

#include <linux/seccomp.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

using Args = std::array<uint64_t, 6>;

// The seccomp_data the kernel builds for a call of `nr` (as the filter sees it: x32 numbers carry
// the x32 bit) on a libseccomp arch token.
struct seccomp_data make_seccomp_data(uint32_t arch_token, uint32_t nr, const Args& args = {},
                                      uint64_t instruction_pointer = 0);

// Argument values worth probing: each given constant at, just below and just above, in both 32-bit
// words, the single bits of masks, and the usual edges (0, 1, 2^31, 2^32-1, 2^32, 2^64-1).
std::vector<uint64_t> probe_values(const std::vector<uint64_t>& constants);
// Every value and mask a policy's conditions mention.
std::vector<uint64_t> policy_constants(const ir::SeccompPolicy& policy);

// Runs both programs on every syscall number of each arch (0..1023 of the arch's own range, every
// number libseccomp knows there, and a few out-of-range numbers); when a program reads arguments
// for a call, every argument it reads is probed with probe_values(interesting_values), and the
// arguments read on those paths again (two levels). Returns nullopt when they always agree, else a
// readable description of the first input where they differ:
//   "x86_64 socket (nr 41) args=[0x26,0,0,0,0,0]: first program gives allow, second errno(EPERM)"
std::optional<std::string> first_difference(const Program& a, const Program& b,
                                            const std::vector<uint32_t>& arches,
                                            const std::vector<uint64_t>& interesting_values);

// One input of that comparison and both programs' verdicts: `varied` has bit i set when argument
// slot i (6: the instruction pointer) was set to a probe value, `depth` how many were.
struct ProbeOutcome {
  uint32_t arch = 0;  // libseccomp token
  uint32_t nr = 0;    // as the filter sees it (x32 numbers carry the x32 bit)
  Args args{};
  uint64_t ip = 0;
  unsigned varied = 0;
  int depth = 0;
  uint32_t ret_a = 0, ret_b = 0;
};
// Every input first_difference probes, with both verdicts, in its order; stops when `visit`
// returns false. For tools that collect every difference (the privilege diff, compiler/review).
void for_each_probe(const Program& a, const Program& b, const std::vector<uint32_t>& arches,
                    const std::vector<uint64_t>& interesting_values,
                    const std::function<bool(const ProbeOutcome&)>& visit);

// What the policy decides for a call, by docs/language.md "Which rule decides" (conditional rules
// in order, then the unconditional rule, then the default), evaluated directly on the IR. On 32-bit
// arches arguments and values are compared on their low 32 bits, as the register is 32 bits wide.
ir::Action decide(const ir::SeccompPolicy& policy, uint32_t arch_token, uint32_t nr,
                  const Args& args, const ir::KernelVersion& kernel);
// The same verdict with the rule that gives it (nullptr: the default action, or ENOSYS for a
// number above libseccomp's tables), for explanations (runtime/launch/denials.hpp).
struct Decision {
  ir::Action action;
  const ir::SyscallRule* rule = nullptr;
};
Decision decide_rule(const ir::SeccompPolicy& policy, uint32_t arch_token, uint32_t nr,
                     const Args& args, const ir::KernelVersion& kernel);

// Like first_difference, but between a program and the IR's own verdict (decide), on the policy's
// target arches (bad-arch inputs are not probed).
std::optional<std::string> first_difference_from_policy(const Program& prog,
                                                        const ir::SeccompPolicy& policy,
                                                        const ir::KernelVersion& kernel);

}  // namespace policy::seccomp
