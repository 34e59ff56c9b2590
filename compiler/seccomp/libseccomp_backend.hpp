// The libseccomp backend: the IR's seccomp policy compiled by libseccomp itself. It is the
// project's oracle for filter semantics and the alternative to the default (bpfgen) backend.
#pragma once

#include <seccomp.h>

#include <optional>
#include <string>

#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

struct LibseccompOptions {
  bool binary_tree = true;  // SCMP_FLTATR_CTL_OPTIMIZE = 2 (else 1: libseccomp's linear order)
  std::optional<ir::KernelVersion> kernel;  // for min_kernel; else policy.target_kernel, else host
  // On arches that multiplex socket and IPC calls (x86: socketcall, ipc), libseccomp adds a rule
  // for socket(...) also to socketcall(SYS_SOCKET, ...), whose arguments are in memory the filter
  // cannot read, so an argument condition is dropped on that path (Docker's profile relies on
  // this). false: such a rule is refused with an error; true: accepted, as runc does.
  bool allow_multiplexer_widening = false;
  // libseccomp 2.5.4 miscompiles some filters (it compares an argument its accumulator no longer
  // holds). true: the exported program is checked against the policy's own verdicts
  // (first_difference_from_policy) and a difference is an error.
  bool verify = true;
  // Numbers above libseccomp's table get ENOSYS instead of the default action (docs/seccomp.md,
  // "Syscalls newer than the tables"), by a stub in front of libseccomp's program
  // (with_enosys_stub). false: libseccomp's program alone (tests look at it; verify then checks
  // it with the stub in front, since the policy's verdicts include the rule).
  bool enosys_stub = true;
};

// Builds the filter with libseccomp: one libseccomp filter per target arch (rules are added with
// seccomp_rule_add_array only on the arches they apply to), merged with seccomp_merge and exported.
// Throws policy::Error, naming the syscall and the rules, when libseccomp cannot express the
// policy exactly (overlapping conditional rules with different actions, a conditional rule with an
// action other than the same syscall's unconditional rule, two comparisons of one argument in a
// conjunction, u32() comparisons other than == on 64-bit arches, trap with data).
Program compile_with_libseccomp(const ir::SeccompPolicy& policy,
                                const LibseccompOptions& options = {});

// The rules compile_with_libseccomp gives libseccomp, per target arch (also what the OCI/Docker
// JSON writers emit, since runc hands them to libseccomp the same way). Throws as
// compile_with_libseccomp does when the policy cannot be expressed exactly.
struct LibseccompRule {
  std::string syscall;
  ir::Action action;
  std::vector<scmp_arg_cmp> conds;  // one per argument; empty = unconditional
};
struct LibseccompPlan {
  std::vector<uint32_t> arches;                    // policy.arches, or the host's default targets
  std::vector<std::vector<LibseccompRule>> rules;  // rules[i] for arches[i], in policy order
};
LibseccompPlan plan_libseccomp(const ir::SeccompPolicy& policy, const ir::KernelVersion& kernel,
                               bool allow_multiplexer_widening);
// True when libseccomp can place a rule for `syscall` on `arch` (a real number there, or a
// socket/IPC call reached through the arch's multiplexer).
bool libseccomp_has_syscall(const std::string& syscall, uint32_t arch);
// The multiplexer ("socketcall" or "ipc") through which `syscall` is reached on `arch`, if any.
std::optional<std::string> multiplexer_of(const std::string& syscall, uint32_t arch);
// The kernel min_kernel gates are decided against: explicit, else policy.target_kernel, else host.
ir::KernelVersion target_kernel(const ir::SeccompPolicy& policy,
                                const std::optional<ir::KernelVersion>& explicit_kernel);

// ---- helpers shared with the JSON oracle path ----
// libseccomp's action value (SCMP_ACT_*) for an IR action.
uint32_t scmp_action(const ir::Action& action);
// The filter a libseccomp context exports (seccomp_export_bpf through a memfd).
Program export_program(scmp_filter_ctx ctx);
// The running kernel's "major.minor" (uname -r), as Docker reads it.
ir::KernelVersion host_kernel_version();
// The bad-architecture action: libseccomp's default, kill-thread (SCMP_ACT_KILL), which is what
// runc leaves in place; policy.bad_arch_action overrides it.
uint32_t bad_arch_scmp_action(const ir::SeccompPolicy& policy);

}  // namespace policy::seccomp
