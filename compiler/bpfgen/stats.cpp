#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/bpfgen/model.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::bpfgen {

namespace {

// Mirrors seccomp_is_const_allow() in kernel/seccomp.c: only the number and the arch are known;
// a load of anything else, or any other instruction, makes the outcome not constant.
bool const_allow(const seccomp::Program& prog, uint32_t audit_arch, uint32_t nr) {
  uint32_t reg = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& insn = prog[pc];
    switch (insn.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (insn.k == offsetof(struct seccomp_data, nr))
          reg = nr;
        else if (insn.k == offsetof(struct seccomp_data, arch))
          reg = audit_arch;
        else
          return false;
        break;
      case BPF_RET | BPF_K:
        return insn.k == SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA:
        pc += insn.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += reg == insn.k ? insn.jt : insn.jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += reg >= insn.k ? insn.jt : insn.jf;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += reg > insn.k ? insn.jt : insn.jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (reg & insn.k) ? insn.jt : insn.jf;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        reg &= insn.k;
        break;
      default:
        return false;
    }
  }
  return false;  // ran off the end (the kernel warns)
}

// The kernel keeps a cache bitmap for its native and compat architectures only; x32 numbers carry
// __X32_SYSCALL_BIT and are past the end of the x86_64 bitmap.
bool arch_has_cache(uint32_t token) {
  return token != SCMP_ARCH_X32;
}

}  // namespace

bool kernel_would_cache(const seccomp::Program& program, uint32_t arch, int nr) {
  if (!arch_has_cache(arch) || nr < 0) return false;
  return const_allow(program, seccomp::audit_arch(arch), static_cast<uint32_t>(nr));
}

Stats measure(const seccomp::Program& program, const ir::SeccompPolicy& policy,
              std::optional<ir::KernelVersion> kernel) {
  seccomp::validate_program(program);
  const PolicyModel model = build_model(policy, kernel);
  Stats s;
  s.instructions = program.size();
  double sum = 0, sum_native = 0;
  size_t n_native = 0;
  for (const ArchModel& a : model.arches) {
    const bool native = &a == &model.arches.front();
    for (const auto& [nr, d] : a.syscalls) {
      if (!d.allows()) continue;
      struct seccomp_data data {};
      data.nr = static_cast<int>(nr);
      data.arch = a.audit_arch;
      const size_t executed = seccomp::run_filter_unchecked(program, data).executed;
      ++s.allowed_syscalls;
      sum += static_cast<double>(executed);
      s.max_executed_allowed = std::max(s.max_executed_allowed, executed);
      if (native) {
        sum_native += static_cast<double>(executed);
        ++n_native;
      }
      if (kernel_would_cache(program, a.token, static_cast<int>(nr))) ++s.cache_eligible_allowed;
      if (arch_has_cache(a.token) && d.conditional.empty() &&
          d.fallback.kind == ir::ActionKind::Allow)
        ++s.argument_free_allowed;
    }
  }
  if (s.allowed_syscalls) s.mean_executed_allowed = sum / static_cast<double>(s.allowed_syscalls);
  if (n_native) s.mean_executed_allowed_native = sum_native / static_cast<double>(n_native);
  return s;
}

}  // namespace policy::bpfgen
