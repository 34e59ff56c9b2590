#include "compiler/seccomp/equivalence.hpp"

#include <seccomp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>

#include "compiler/common/names.hpp"
#include "compiler/seccomp/enosys.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::seccomp {

namespace {

constexpr uint32_t kX32Bit = 0x40000000u;

// A verdict and which words of seccomp_data it depended on (bit i: word at offset 4*i).
struct Verdict {
  uint32_t ret;
  uint16_t words_read;
};
using Judge = std::function<Verdict(const struct seccomp_data&)>;

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, v < 10 ? "%llu" : "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string call_text(uint32_t arch, uint32_t nr, const Args& args, uint64_t ip) {
  auto n = names::syscall_name(static_cast<int>(nr), arch);
  std::string s = names::arch_name(arch) + " " + (n ? *n : "syscall") + " (nr " + hex(nr) + ")";
  s += " args=[";
  for (size_t i = 0; i < 6; ++i) s += (i ? "," : "") + hex(args[i]);
  s += "]";
  if (ip) s += " ip=" + hex(ip);
  return s;
}

// Argument slots (0..5, 6 = instruction pointer) a verdict read.
unsigned slots_read(uint16_t words) {
  unsigned slots = 0;
  if (words & (3u << 2)) slots |= 1u << 6;
  for (unsigned i = 0; i < 6; ++i)
    if (words & (3u << (4 + 2 * i))) slots |= 1u << i;
  return slots;
}

std::vector<uint32_t> numbers_to_probe(uint32_t arch) {
  std::set<uint32_t> nrs;
  const uint32_t base = arch == SCMP_ARCH_X32 ? kX32Bit : 0;
  for (uint32_t i = 0; i < 1024; ++i) nrs.insert(base + i);
  for (int nr : names::arch_syscall_numbers(arch)) nrs.insert(static_cast<uint32_t>(nr));
  for (uint32_t extra : {0xffffffffu, 0x7fffffffu, 0x3fffffffu, base + 4095u, base + 0xffffu})
    nrs.insert(extra);
  return {nrs.begin(), nrs.end()};
}

// Runs both judges on every probed input (see first_difference) and hands each to `visit`;
// stops when `visit` returns false.
void explore_all(const Judge& a, const Judge& b, const std::vector<uint32_t>& arches,
                 const std::vector<uint64_t>& interesting,
                 const std::function<bool(const ProbeOutcome&)>& visit) {
  const std::vector<uint64_t> values = probe_values(interesting);
  for (uint32_t arch : arches) {
    for (uint32_t nr : numbers_to_probe(arch)) {
      std::vector<ProbeOutcome> work{ProbeOutcome{arch, nr}};
      while (!work.empty()) {
        ProbeOutcome p = work.back();
        work.pop_back();
        const struct seccomp_data d = make_seccomp_data(arch, nr, p.args, p.ip);
        const Verdict va = a(d), vb = b(d);
        p.ret_a = va.ret;
        p.ret_b = vb.ret;
        if (!visit(p)) return;
        if (p.depth >= 2) continue;
        const unsigned read = slots_read(va.words_read | vb.words_read) & ~p.varied;
        for (unsigned slot = 0; slot < 7; ++slot) {
          if (!(read & (1u << slot))) continue;
          for (uint64_t v : values) {
            ProbeOutcome q = p;
            if (slot == 6)
              q.ip = v;
            else
              q.args[slot] = v;
            q.varied |= 1u << slot;
            q.depth = p.depth + 1;
            work.push_back(q);
          }
        }
      }
    }
  }
}

std::optional<std::string> explore(const Judge& a, const Judge& b,
                                   const std::vector<uint32_t>& arches,
                                   const std::vector<uint64_t>& interesting,
                                   const char* a_says = "first program gives",
                                   const char* b_says = "second") {
  std::optional<std::string> found;
  explore_all(a, b, arches, interesting, [&](const ProbeOutcome& p) {
    if (p.ret_a == p.ret_b) return true;
    found = call_text(p.arch, p.nr, p.args, p.ip) + ": " + a_says + " " + describe(p.ret_a) + ", " +
            b_says + " " + describe(p.ret_b);
    return false;
  });
  return found;
}

Judge program_judge(const Program& prog) {
  return [&prog](const struct seccomp_data& d) {
    RunResult r = run_filter_unchecked(prog, d);
    return Verdict{r.ret, r.words_read};
  };
}

bool comparison_holds(const ir::Comparison& c, uint64_t arg, bool narrow) {
  uint64_t v = arg, value = c.value, mask = c.mask;
  if (narrow || c.width == ir::ArgWidth::Bits32) v &= 0xffffffffULL;
  if (narrow) {
    value &= 0xffffffffULL;
    mask &= 0xffffffffULL;
  }
  switch (c.op) {
    case ir::CmpOp::Eq:
      return v == value;
    case ir::CmpOp::Ne:
      return v != value;
    case ir::CmpOp::Lt:
      return v < value;
    case ir::CmpOp::Le:
      return v <= value;
    case ir::CmpOp::Gt:
      return v > value;
    case ir::CmpOp::Ge:
      return v >= value;
    case ir::CmpOp::MaskedEq:
      return (v & mask) == value;
  }
  return false;
}

}  // namespace

struct seccomp_data make_seccomp_data(uint32_t arch_token, uint32_t nr, const Args& args,
                                      uint64_t instruction_pointer) {
  struct seccomp_data d {};
  d.nr = static_cast<int>(nr);
  d.arch = audit_arch(arch_token);
  d.instruction_pointer = instruction_pointer;
  for (size_t i = 0; i < 6; ++i) d.args[i] = args[i];
  return d;
}

std::vector<uint64_t> probe_values(const std::vector<uint64_t>& constants) {
  std::set<uint64_t> out{0,
                         1,
                         0x7fffffffULL,
                         0x80000000ULL,
                         0xffffffffULL,
                         0x100000000ULL,
                         0xffffffff00000000ULL,
                         0x8000000000000000ULL,
                         ~0ULL};
  for (uint64_t small = 0; small < 32; ++small) out.insert(small);
  for (uint64_t c : constants) {
    const uint32_t lo = static_cast<uint32_t>(c), hi = static_cast<uint32_t>(c >> 32);
    auto make = [](uint32_t h, uint32_t l) { return (uint64_t{h} << 32) | l; };
    for (uint32_t d : {0u, 1u, 0xffffffffu}) {  // +0, +1, -1 in each 32-bit word
      out.insert(make(hi, lo + d));
      out.insert(make(hi + d, lo));
      out.insert(make(0, lo + d));
      out.insert(make(0xffffffffu, lo + d));
      out.insert(make(1, lo + d));
      out.insert(c + d);
      out.insert(c - d);
    }
    for (unsigned bit = 0; bit < 64; ++bit)
      if ((c >> bit) & 1) out.insert(uint64_t{1} << bit);
  }
  return {out.begin(), out.end()};
}

std::vector<uint64_t> policy_constants(const ir::SeccompPolicy& policy) {
  std::set<uint64_t> out;
  for (const ir::SyscallRule& r : policy.rules)
    for (const ir::Conjunction& conj : r.args)
      for (const ir::Comparison& c : conj) {
        out.insert(c.value);
        if (c.op == ir::CmpOp::MaskedEq) out.insert(c.mask);
      }
  return {out.begin(), out.end()};
}

std::optional<std::string> first_difference(const Program& a, const Program& b,
                                            const std::vector<uint32_t>& arches,
                                            const std::vector<uint64_t>& interesting_values) {
  validate_program(a);
  validate_program(b);
  return explore(program_judge(a), program_judge(b), arches, interesting_values);
}

void for_each_probe(const Program& a, const Program& b, const std::vector<uint32_t>& arches,
                    const std::vector<uint64_t>& interesting_values,
                    const std::function<bool(const ProbeOutcome&)>& visit) {
  validate_program(a);
  validate_program(b);
  explore_all(program_judge(a), program_judge(b), arches, interesting_values, visit);
}

namespace {

// The rules for `name` that apply on `arch`: the first conditional rule that matches, else the
// unconditional one, else nothing. `through_mux`: the call came through x86's socketcall/ipc, so
// a condition on arg0 stands for the sub-call number (already matched) and is left out, unless it
// can never hold on the arch, in which case its conjunction is dropped as libseccomp drops it.
const ir::SyscallRule* rules_decide(const ir::SeccompPolicy& policy, const std::string& name,
                                    uint32_t arch, const Args& args,
                                    const ir::KernelVersion& kernel, bool through_mux) {
  const bool narrow = arch_is_32bit(arch);
  const ir::SyscallRule* uncond = nullptr;
  for (const ir::SyscallRule& r : policy.rules) {
    if (r.syscall != name || !ir::applies(r, arch, kernel)) continue;
    if (r.args.empty()) {
      if (!uncond) uncond = &r;
      continue;
    }
    for (const ir::Conjunction& conj : r.args) {
      const bool all = std::all_of(conj.begin(), conj.end(), [&](const ir::Comparison& c) {
        if (through_mux && c.arg == 0) return !ir::never_holds(c, narrow);
        return c.arg <= 5 && comparison_holds(c, args[c.arg], narrow);
      });
      if (all) return &r;
    }
  }
  return uncond;
}

// The call behind x86's socketcall/ipc that `args[0]` selects, if it is one libseccomp knows.
std::optional<std::string> call_behind(const std::string& mux, uint32_t arch, const Args& args) {
  const int base = mux == "socketcall" ? 100 : 200;
  const uint32_t call = static_cast<uint32_t>(args[0]);
  if (call >= 100) return std::nullopt;
  char* sub = seccomp_syscall_resolve_num_arch(arch, -(base + static_cast<int>(call)));
  if (!sub) return std::nullopt;
  std::string s = sub;
  std::free(sub);
  if (multiplexer_of(s, arch) != mux) return std::nullopt;
  return s;
}

}  // namespace

ir::Action decide(const ir::SeccompPolicy& policy, uint32_t arch, uint32_t nr, const Args& args,
                  const ir::KernelVersion& kernel) {
  return decide_rule(policy, arch, nr, args, kernel).action;
}

Decision decide_rule(const ir::SeccompPolicy& policy, uint32_t arch, uint32_t nr, const Args& args,
                     const ir::KernelVersion& kernel) {
  auto name = names::syscall_name(static_cast<int>(nr), arch);
  if (!name) {
    // A number above the tables: a syscall newer than libseccomp (docs/seccomp.md).
    if (enosys_for_unknown_syscalls(policy.default_action) && is_unknown_syscall_number(arch, nr))
      return {enosys_action(), nullptr};
    return {policy.default_action, nullptr};
  }
  if (auto own = rules_decide(policy, *name, arch, args, kernel, false)) return {own->action, own};
  // A socket or IPC call made through the arch's multiplexer (x86 socketcall(SYS_SOCKET, argv)),
  // when the multiplexer's own rules did not decide: the rules of that call decide, as libseccomp
  // places them. The call's own arguments are in memory the filter cannot read: a condition on
  // arg0 is replaced by the sub-call number and the other conditions compare the multiplexer's
  // own arguments (libseccomp's widening).
  if (*name == "socketcall" || *name == "ipc")
    if (auto sub = call_behind(*name, arch, args))
      if (auto behind = rules_decide(policy, *sub, arch, args, kernel, true))
        return {behind->action, behind};
  return {policy.default_action, nullptr};
}

std::optional<std::string> first_difference_from_policy(const Program& prog,
                                                        const ir::SeccompPolicy& policy,
                                                        const ir::KernelVersion& kernel) {
  validate_program(prog);
  std::vector<uint32_t> arches = policy.arches;
  if (arches.empty()) arches = names::default_target_arches();
  // The IR "reads" the arguments its rules for the syscall compare.
  Judge ir_judge = [&](const struct seccomp_data& d) {
    uint32_t arch = 0;
    const uint32_t nr = static_cast<uint32_t>(d.nr);
    // nr -1 is "no syscall" (a tracer skipped it): libseccomp checks it in the x86_64 part of the
    // filter, or in the x32 part when the filter has no x86_64.
    bool x32_call = (nr & kX32Bit) != 0;
    if (nr == 0xffffffffu)
      x32_call = std::find(arches.begin(), arches.end(), SCMP_ARCH_X86_64) == arches.end();
    for (uint32_t t : arches)
      if (audit_arch(t) == d.arch &&
          ((t == SCMP_ARCH_X32) == x32_call || audit_arch(t) != audit_arch(SCMP_ARCH_X86_64)))
        arch = t;
    if (arch == 0) {
      // Not a target arch (or an x32 call on a filter without x32): the bad-arch action.
      const ir::Action bad = policy.bad_arch_action ? *policy.bad_arch_action
                                                    : ir::Action{ir::ActionKind::KillThread, 0};
      return Verdict{ret_of(bad), 0};
    }
    Args args;
    for (size_t i = 0; i < 6; ++i) args[i] = d.args[i];
    const ir::Action act = decide(policy, arch, static_cast<uint32_t>(d.nr), args, kernel);
    uint16_t words = 0;
    auto name = names::syscall_name(d.nr, arch);
    if (name && (*name == "socketcall" || *name == "ipc")) {
      // The sub-call number, and what the rules of the calls behind the multiplexer compare.
      words |= 3u << 4;
      for (const ir::SyscallRule& r : policy.rules)
        if (multiplexer_of(r.syscall, arch) == *name)
          for (const ir::Conjunction& conj : r.args)
            for (const ir::Comparison& c : conj)
              words |= static_cast<uint16_t>(3u << (4 + 2 * c.arg));
    }
    if (name)
      for (const ir::SyscallRule& r : policy.rules)
        if (r.syscall == *name)
          for (const ir::Conjunction& conj : r.args)
            for (const ir::Comparison& c : conj)
              words |= static_cast<uint16_t>(3u << (4 + 2 * c.arg));
    return Verdict{ret_of(act), words};
  };
  return explore(program_judge(prog), ir_judge, arches, policy_constants(policy),
                 "the filter gives", "the policy says");
}

}  // namespace policy::seccomp
