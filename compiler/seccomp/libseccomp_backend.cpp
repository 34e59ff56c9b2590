#include "compiler/seccomp/libseccomp_backend.hpp"

#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/ir/describe.hpp"
#include "compiler/seccomp/enosys.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::seccomp {

namespace {

struct CtxDeleter {
  void operator()(void* p) const {
    if (p) seccomp_release(p);
  }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

void check(int rc, const std::string& what) {
  if (rc < 0) throw Error("libseccomp: " + what + ": " + std::strerror(-rc), -rc);
}

// One comparison as libseccomp evaluates it on one arch: (arg & mask) OP value, with mask and value
// cut to 32 bits on arches whose arguments libseccomp compares as 32-bit.
struct Cmp {
  unsigned arg = 0;
  ir::CmpOp op = ir::CmpOp::Eq;
  uint64_t value = 0;
  uint64_t mask = ~0ULL;  // MaskedEq only
  // The value and mask handed to libseccomp (before the 32-bit cut, which libseccomp makes itself).
  uint64_t raw_value = 0, raw_mask = ~0ULL;
  bool operator==(const Cmp& o) const {
    return arg == o.arg && op == o.op && value == o.value && mask == o.mask;
  }
};
using Conj = std::vector<Cmp>;

std::string where(const ir::SyscallRule& r) {
  std::string s = ir::describe(r.action);
  if (r.loc.known())
    s += " at " + r.loc.str();
  else if (!r.via.empty())
    s += " (" + r.via + ")";
  else if (!r.loc.file.empty())
    s += " in " + r.loc.file;
  return s;
}

[[noreturn]] void cannot(const ir::SyscallRule& r, uint32_t arch, const std::string& why) {
  throw Error("seccomp: the rule " + where(r) + " for '" + r.syscall + "' on " +
              names::arch_name(arch) + " cannot be expressed with libseccomp: " + why +
              "; use the default backend");
}

// The closed range of values a comparison admits, when it is a range.
std::optional<std::pair<uint64_t, uint64_t>> range_of(const Cmp& c, uint64_t top) {
  switch (c.op) {
    case ir::CmpOp::Eq:
      return std::pair{c.value, c.value};
    case ir::CmpOp::Lt:
      if (c.value == 0) return std::pair{uint64_t{1}, uint64_t{0}};  // empty
      return std::pair{uint64_t{0}, c.value - 1};
    case ir::CmpOp::Le:
      return std::pair{uint64_t{0}, c.value};
    case ir::CmpOp::Gt:
      if (c.value >= top) return std::pair{uint64_t{1}, uint64_t{0}};
      return std::pair{c.value + 1, top};
    case ir::CmpOp::Ge:
      return std::pair{c.value, top};
    default:
      return std::nullopt;
  }
}

bool holds(const Cmp& c, uint64_t v) {
  switch (c.op) {
    case ir::CmpOp::Eq:
      return v == c.value;
    case ir::CmpOp::Ne:
      return v != c.value;
    case ir::CmpOp::Lt:
      return v < c.value;
    case ir::CmpOp::Le:
      return v <= c.value;
    case ir::CmpOp::Gt:
      return v > c.value;
    case ir::CmpOp::Ge:
      return v >= c.value;
    case ir::CmpOp::MaskedEq:
      return (v & c.mask) == c.value;
  }
  return false;
}

// True when no argument value satisfies both comparisons (a conservative test: false may mean
// "could not prove it").
bool cmp_disjoint(const Cmp& x, const Cmp& y, uint64_t top) {
  if (x.arg != y.arg) return false;
  if (x.op == ir::CmpOp::Eq) return !holds(y, x.value);
  if (y.op == ir::CmpOp::Eq) return !holds(x, y.value);
  if (x.op == ir::CmpOp::MaskedEq && y.op == ir::CmpOp::MaskedEq) {
    const uint64_t common = x.mask & y.mask;
    return (x.value & common) != (y.value & common) || (x.value & ~x.mask) != 0 ||
           (y.value & ~y.mask) != 0;
  }
  auto rx = range_of(x, top), ry = range_of(y, top);
  if (rx && ry) {
    if (rx->first > rx->second || ry->first > ry->second) return true;
    return rx->second < ry->first || ry->second < rx->first;
  }
  return false;
}

bool conj_disjoint(const Conj& a, const Conj& b, uint64_t top) {
  for (const Cmp& x : a)
    for (const Cmp& y : b)
      if (cmp_disjoint(x, y, top)) return true;
  return false;
}

// A rule's condition as libseccomp comparisons on `arch`; conjunctions that can never hold are
// dropped. Throws when a conjunction cannot be one libseccomp rule.
std::vector<Conj> lower_condition(const ir::SyscallRule& r, uint32_t arch) {
  const bool narrow = arch_is_32bit(arch);
  const uint64_t top = narrow ? 0xffffffffULL : ~0ULL;
  std::vector<Conj> out;
  for (const ir::Conjunction& conj : r.args) {
    Conj lowered;
    bool never = false;
    for (const ir::Comparison& c : conj) {
      if (c.arg > 5) cannot(r, arch, "argument index " + std::to_string(c.arg) + " (max 5)");
      Cmp m{c.arg, c.op, c.value, c.op == ir::CmpOp::MaskedEq ? c.mask : ~0ULL};
      if (c.width == ir::ArgWidth::Bits32 && !narrow) {
        // u32(arg) on a 64-bit register: only (arg & 0xffffffff) == v has an exact encoding.
        if (c.op == ir::CmpOp::Eq) {
          m = Cmp{c.arg, ir::CmpOp::MaskedEq, c.value, 0xffffffffULL};
        } else if (c.op == ir::CmpOp::MaskedEq) {
          m.mask = c.mask & 0xffffffffULL;
        } else {
          cannot(r, arch,
                 "u32(" + c.arg_name +
                     ") with an operator other than == or & compares only the "
                     "low 32 bits, which libseccomp cannot do on a 64-bit architecture");
        }
        if (m.value > 0xffffffffULL) never = true;  // u32(arg) never equals a wider value
      }
      m.raw_value = m.value;
      m.raw_mask = m.mask;
      if (narrow) {
        // libseccomp compares the low 32 bits on 32-bit arches, where the register has no more.
        m.value &= top;
        m.mask &= top;
      }
      if (m.op == ir::CmpOp::MaskedEq && (m.value & ~m.mask) != 0) never = true;
      // Comparisons that always or never hold (libseccomp 2.5 mishandles some of them).
      if (auto range = range_of(m, top)) {
        if (range->first > range->second) never = true;
        if (range->first == 0 && range->second == top) continue;
      }
      if (m.op == ir::CmpOp::MaskedEq && m.mask == 0) continue;  // value is 0 here: always true
      // libseccomp takes one comparison per argument in a rule.
      bool merged = false;
      for (Cmp& prev : lowered) {
        if (prev.arg != m.arg) continue;
        if (prev == m) {
          merged = true;
        } else if (cmp_disjoint(prev, m, top)) {
          never = true;
          merged = true;
        } else if (prev.op == ir::CmpOp::Eq && holds(m, prev.value)) {
          merged = true;  // prev implies m
        } else if (m.op == ir::CmpOp::Eq && holds(prev, m.value)) {
          prev = m;  // m implies prev
          merged = true;
        } else {
          cannot(r, arch,
                 "two comparisons of argument " + std::to_string(m.arg) +
                     " in one conjunction (libseccomp takes one comparison per argument in a "
                     "rule)");
        }
      }
      if (!merged) lowered.push_back(m);
    }
    if (!never) out.push_back(std::move(lowered));
  }
  return out;
}

scmp_compare scmp_op(ir::CmpOp op) {
  switch (op) {
    case ir::CmpOp::Eq:
      return SCMP_CMP_EQ;
    case ir::CmpOp::Ne:
      return SCMP_CMP_NE;
    case ir::CmpOp::Lt:
      return SCMP_CMP_LT;
    case ir::CmpOp::Le:
      return SCMP_CMP_LE;
    case ir::CmpOp::Gt:
      return SCMP_CMP_GT;
    case ir::CmpOp::Ge:
      return SCMP_CMP_GE;
    case ir::CmpOp::MaskedEq:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

using Planned = LibseccompRule;

// The values of one argument that no conditional rule picks, as masked equalities for `action`:
// when every rule is one `arg & M == v` (or `arg == v`) on the same argument and mask, the other
// values of the masked bits are covered by at most (bits of M) x (number of values) disjoint
// patterns (a walk down the binary trie of the picked values; each missing branch is a pattern).
// nullopt when the rules have another shape.
template <typename CondT>
std::optional<CondT> complement_of_values(const std::vector<CondT>& conds,
                                          const ir::SyscallRule& rule, uint32_t action,
                                          uint64_t top) {
  std::optional<unsigned> arg;
  uint64_t mask = 0, raw_mask = 0;
  std::vector<uint64_t> picked;
  for (const CondT& c : conds)
    for (const Conj& conj : c.conjs) {
      if (conj.size() != 1) return std::nullopt;
      const Cmp& m = conj.front();
      const uint64_t mm = m.op == ir::CmpOp::Eq ? top : m.mask;
      if (m.op != ir::CmpOp::Eq && m.op != ir::CmpOp::MaskedEq) return std::nullopt;
      if (!arg) {
        arg = m.arg;
        mask = mm;
        raw_mask = m.op == ir::CmpOp::Eq ? ~0ULL : m.raw_mask;
      } else if (*arg != m.arg || mask != mm) {
        return std::nullopt;
      }
      picked.push_back(m.value & mask);
    }
  if (!arg) return std::nullopt;
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  std::vector<uint64_t> bits;  // the mask's bits, highest first
  for (int b = 63; b >= 0; --b)
    if (mask & (1ULL << b)) bits.push_back(1ULL << b);
  CondT out{&rule, action, {}};
  auto walk = [&](auto&& self, size_t depth, uint64_t fixed, uint64_t value,
                  const std::vector<uint64_t>& under) -> void {
    if (under.empty()) {
      Cmp m{*arg, ir::CmpOp::MaskedEq, value, fixed};
      m.raw_value = value;
      m.raw_mask = fixed & raw_mask;
      out.conjs.push_back({m});
      return;
    }
    if (depth == bits.size()) return;  // a picked value itself
    const uint64_t bit = bits[depth];
    std::vector<uint64_t> zero, one;
    for (uint64_t v : under) (v & bit ? one : zero).push_back(v);
    self(self, depth + 1, fixed | bit, value, zero);
    self(self, depth + 1, fixed | bit, value | bit, one);
  };
  walk(walk, 0, 0, 0, picked);
  return out;
}

// What libseccomp must be told for one syscall on one arch so that its filter decides exactly as
// docs/language.md says ("Which rule decides"): conditional rules in order, then the unconditional
// rule, then the default.
std::vector<Planned> plan_syscall(const std::vector<const ir::SyscallRule*>& rules, uint32_t arch,
                                  uint32_t default_action, bool allow_widening) {
  const uint64_t top = arch_is_32bit(arch) ? 0xffffffffULL : ~0ULL;
  const ir::SyscallRule* uncond = nullptr;
  struct Cond {
    const ir::SyscallRule* rule;
    uint32_t action;
    std::vector<Conj> conjs;
  };
  std::vector<Cond> conds;
  for (const ir::SyscallRule* r : rules) {
    if (r->args.empty()) {
      if (!uncond) {
        uncond = r;
      } else if (scmp_action(uncond->action) != scmp_action(r->action)) {
        throw Error("seccomp: conflicting actions for '" + r->syscall + "': " + where(*uncond) +
                    " and " + where(*r) + " (both unconditional)");
      }
      continue;
    }
    Cond c{r, scmp_action(r->action), lower_condition(*r, arch)};
    if (!c.conjs.empty()) conds.push_back(std::move(c));
  }
  // libseccomp lets an unconditional rule replace every conditional rule of the syscall, so a
  // conditional rule only survives when it has the unconditional rule's action (then it is
  // redundant), or when the rules carve single values out of one argument (`errno(EPERM)
  // ioctl(u32(request) in {TIOCSTI, TIOCLINUX})` beside an unconditional allow): the
  // unconditional rule then becomes the masked equalities that cover every other value.
  if (uncond) {
    const uint32_t ua = scmp_action(uncond->action);
    std::erase_if(conds, [&](const Cond& c) { return c.action == ua; });
    if (conds.empty()) {
      if (ua == default_action) return {};
      return {Planned{uncond->syscall, uncond->action, {}}};
    }
    std::optional<Cond> rest = complement_of_values(conds, *uncond, ua, top);
    if (!rest || multiplexer_of(uncond->syscall, arch))
      cannot(*conds.front().rule, arch,
             "it comes before the unconditional rule " + where(*uncond) +
                 " with another action, and libseccomp lets an unconditional rule replace "
                 "every conditional rule of the syscall (only rules that pick single values of "
                 "one argument, with == or one common mask, can be carved out of it)");
    conds.push_back(std::move(*rest));
  }
  // libseccomp orders a syscall's comparisons by argument, not by rule: rules with different
  // actions are exact only when no call can match both.
  // Through a multiplexer (x86 socketcall) libseccomp replaces the arg0 condition by the sub-call
  // number, so there the rules must be disjoint without it.
  const std::optional<std::string> mux =
      rules.empty() ? std::nullopt : multiplexer_of(rules.front()->syscall, arch);
  auto without_arg0 = [](Conj c) {
    std::erase_if(c, [](const Cmp& m) { return m.arg == 0; });
    return c;
  };
  for (size_t i = 0; i < conds.size(); ++i)
    for (size_t j = i + 1; j < conds.size(); ++j) {
      // A later rule with the default action changes no call an earlier rule decides, and is
      // itself left to the default below (a learned policy's refusals: docs/learn.md).
      if (conds[i].action == conds[j].action || conds[j].action == default_action) continue;
      for (const Conj& a : conds[i].conjs)
        for (const Conj& b : conds[j].conjs) {
          if (!conj_disjoint(a, b, top))
            cannot(*conds[j].rule, arch,
                   "its condition overlaps the earlier rule " + where(*conds[i].rule) +
                       " with another action, and libseccomp does not keep the order of "
                       "overlapping conditional rules");
          if (mux && !conj_disjoint(without_arg0(a), without_arg0(b), top))
            cannot(*conds[j].rule, arch,
                   "through " + *mux +
                       "() libseccomp drops the condition on arg0, and there it "
                       "overlaps the earlier rule " +
                       where(*conds[i].rule) + " with another action");
        }
    }
  std::vector<Planned> out;
  for (const Cond& c : conds) {
    if (c.action == default_action) continue;  // libseccomp refuses these; the default decides
    if (auto mux = multiplexer_of(c.rule->syscall, arch); mux && !allow_widening)
      cannot(*c.rule, arch,
             "on " + names::arch_name(arch) + " '" + c.rule->syscall +
                 "' is also reached through " + *mux +
                 "(), whose arguments are in memory a filter cannot read, and libseccomp "
                 "applies the rule there without its condition (allow this widening as runc does, "
                 "or leave " +
                 names::arch_name(arch) + " out of the target)");
    for (const Conj& conj : c.conjs) {
      Planned p{c.rule->syscall, c.rule->action, {}};
      for (const Cmp& m : conj) {
        scmp_arg_cmp a{};
        a.arg = m.arg;
        a.op = scmp_op(m.op);
        if (m.op == ir::CmpOp::MaskedEq) {
          a.datum_a = m.raw_mask;
          a.datum_b = m.raw_value;
        } else {
          a.datum_a = m.raw_value;
        }
        p.conds.push_back(a);
      }
      if (p.conds.empty()) {
        // A condition that always holds on this arch: the rule is unconditional here.
        return {Planned{c.rule->syscall, c.rule->action, {}}};
      }
      out.push_back(std::move(p));
    }
  }
  // libseccomp 2.5.4 loses track of which argument its accumulator holds when a syscall has several
  // conjunctions and one of them compares more than one argument: it then compares the wrong
  // argument (found by tests/seccomp/libseccomp_random_test.cpp). Refuse that shape.
  if (out.size() > 1)
    for (const Cond& c : conds)
      for (const Conj& conj : c.conjs)
        if (conj.size() > 1 && c.action != default_action)
          cannot(*c.rule, arch,
                 "libseccomp 2.5 miscompiles a syscall that has several alternative conditions "
                 "when one of them compares more than one argument (it then tests the wrong "
                 "argument)");
  return out;
}

}  // namespace

uint32_t scmp_action(const ir::Action& a) {
  switch (a.kind) {
    case ir::ActionKind::Allow:
      return SCMP_ACT_ALLOW;
    case ir::ActionKind::Errno:
      if (a.value > 0xffff)
        throw Error("seccomp: errno value " + std::to_string(a.value) + " does not fit in 16 bits");
      return SCMP_ACT_ERRNO(a.value);
    case ir::ActionKind::KillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case ir::ActionKind::KillThread:
      return SCMP_ACT_KILL_THREAD;
    case ir::ActionKind::Trap:
      if (a.value != 0)
        throw Error("seccomp: trap(" + std::to_string(a.value) +
                    ") cannot be expressed with libseccomp (its SCMP_ACT_TRAP carries no data); "
                    "use the default backend or plain `trap`");
      return SCMP_ACT_TRAP;
    case ir::ActionKind::Log:
      return SCMP_ACT_LOG;
    case ir::ActionKind::Trace:
      if (a.value > 0xffff)
        throw Error("seccomp: trace value " + std::to_string(a.value) + " does not fit in 16 bits");
      return SCMP_ACT_TRACE(a.value);
    case ir::ActionKind::UserNotify:
      return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

uint32_t bad_arch_scmp_action(const ir::SeccompPolicy& policy) {
  if (policy.bad_arch_action) return scmp_action(*policy.bad_arch_action);
  return SCMP_ACT_KILL_THREAD;
}

Program export_program(scmp_filter_ctx ctx) {
  int fd = memfd_create("policy-seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0) throw sys_error("memfd_create for seccomp_export_bpf");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  check(seccomp_export_bpf(ctx, fd), "seccomp_export_bpf");
  off_t size = lseek(fd, 0, SEEK_END);
  if (size < 0) throw sys_error("lseek on the seccomp_export_bpf memfd");
  if (size == 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0)
    throw Error("libseccomp: seccomp_export_bpf wrote " + std::to_string(size) +
                " bytes, not a whole number of BPF instructions");
  Program prog(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(fd, prog.data(), static_cast<size_t>(size), 0) != size)
    throw sys_error("read back the seccomp_export_bpf memfd");
  return prog;
}

ir::KernelVersion host_kernel_version() {
  struct utsname u {};
  if (uname(&u) != 0) throw sys_error("uname");
  ir::KernelVersion v;
  if (sscanf(u.release, "%u.%u", &v.major, &v.minor) != 2)
    throw Error("cannot read the kernel version from uname release '" + std::string(u.release) +
                "'; pass the target kernel explicitly (--kernel)");
  return v;
}

ir::KernelVersion target_kernel(const ir::SeccompPolicy& policy,
                                const std::optional<ir::KernelVersion>& explicit_kernel) {
  if (explicit_kernel) return *explicit_kernel;
  if (policy.target_kernel) return *policy.target_kernel;
  return host_kernel_version();
}

std::optional<std::string> multiplexer_of(const std::string& syscall, uint32_t arch) {
  const int nr = seccomp_syscall_resolve_name_arch(arch, syscall.c_str());
  // libseccomp's pseudo numbers: -100..-120 socket calls, -200..-224 IPC calls.
  if (nr <= -100 && nr >= -120 && names::syscall_number("socketcall", arch)) return "socketcall";
  if (nr <= -200 && nr >= -224 && names::syscall_number("ipc", arch)) return "ipc";
  return std::nullopt;
}

bool libseccomp_has_syscall(const std::string& syscall, uint32_t arch) {
  return names::syscall_number(syscall, arch) || multiplexer_of(syscall, arch);
}

LibseccompPlan plan_libseccomp(const ir::SeccompPolicy& policy, const ir::KernelVersion& kernel,
                               bool allow_multiplexer_widening) {
  LibseccompPlan plan;
  plan.arches = policy.arches;
  if (plan.arches.empty()) plan.arches = names::default_target_arches();
  const uint32_t def = scmp_action(policy.default_action);
  for (const ir::SyscallRule& r : policy.rules) {
    if (!names::syscall_known(r.syscall))
      throw Error("seccomp: unknown syscall '" + r.syscall + "' (" + where(r) + "): libseccomp " +
                  std::to_string(SCMP_VER_MAJOR) + "." + std::to_string(SCMP_VER_MINOR) +
                  " does not know it");
    scmp_action(r.action);  // throws for actions libseccomp cannot express
  }
  for (uint32_t arch : plan.arches) {
    std::map<std::string, std::vector<const ir::SyscallRule*>> by_syscall;
    std::vector<std::string> order;
    for (const ir::SyscallRule& r : policy.rules) {
      if (!ir::applies(r, arch, kernel)) continue;
      if (!libseccomp_has_syscall(r.syscall, arch)) continue;  // absent on this arch
      auto& v = by_syscall[r.syscall];
      if (v.empty()) order.push_back(r.syscall);
      v.push_back(&r);
    }
    std::vector<LibseccompRule> planned;
    for (const std::string& name : order)
      for (Planned& p : plan_syscall(by_syscall[name], arch, def, allow_multiplexer_widening))
        planned.push_back(std::move(p));
    plan.rules.push_back(std::move(planned));
  }
  return plan;
}

Program compile_with_libseccomp(const ir::SeccompPolicy& policy, const LibseccompOptions& options) {
  const ir::KernelVersion kernel = target_kernel(policy, options.kernel);
  const LibseccompPlan plan = plan_libseccomp(policy, kernel, options.allow_multiplexer_widening);
  const uint32_t def = scmp_action(policy.default_action);
  const uint32_t badarch = bad_arch_scmp_action(policy);
  // seccomp_merge needs identical attributes, and libseccomp 2.5 builds a broken tree for a filter
  // without rules (runc notes the same), so the tree is used only when every arch has rules.
  bool every_arch_has_rules = true;
  for (const auto& rules : plan.rules)
    if (rules.empty()) every_arch_has_rules = false;

  Ctx merged;
  for (size_t i = 0; i < plan.arches.size(); ++i) {
    const uint32_t arch = plan.arches[i];
    Ctx ctx(seccomp_init(def));
    if (!ctx)
      throw Error("libseccomp: seccomp_init failed (default action " +
                  ir::describe(policy.default_action) + ")");
    if (arch != seccomp_arch_native()) {
      check(seccomp_arch_add(ctx.get(), arch), "seccomp_arch_add " + names::arch_name(arch));
      check(seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE), "seccomp_arch_remove native");
    }
    check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, badarch), "set the bad-arch action");
    // The runtime sets no_new_privs itself, in its own place in the launch order.
    check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0), "clear SCMP_FLTATR_CTL_NNP");
    check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE,
                           options.binary_tree && every_arch_has_rules ? 2 : 1),
          "set SCMP_FLTATR_CTL_OPTIMIZE");
    for (const LibseccompRule& p : plan.rules[i]) {
      // libseccomp takes the number on the native arch (or its pseudo number) and translates it.
      int nr = seccomp_syscall_resolve_name(p.syscall.c_str());
      if (nr == __NR_SCMP_ERROR)
        throw Error("libseccomp cannot resolve syscall '" + p.syscall + "'");
      int rc = seccomp_rule_add_array(ctx.get(), scmp_action(p.action), nr,
                                      static_cast<unsigned>(p.conds.size()),
                                      p.conds.empty() ? nullptr : p.conds.data());
      check(rc, "seccomp_rule_add_array for '" + p.syscall + "' on " + names::arch_name(arch));
    }
    if (!merged) {
      merged = std::move(ctx);
    } else {
      check(seccomp_merge(merged.get(), ctx.get()), "seccomp_merge " + names::arch_name(arch));
      (void)ctx.release();  // seccomp_merge released the source filter
    }
  }
  if (!merged) throw Error("seccomp: the policy targets no architecture");
  Program prog = export_program(merged.get());
  validate_program(prog);
  const bool stub = enosys_for_unknown_syscalls(policy.default_action);
  if (stub && options.enosys_stub) prog = with_enosys_stub(prog, plan.arches);
  if (options.verify) {
    const Program& checked =
        stub && !options.enosys_stub ? with_enosys_stub(prog, plan.arches) : prog;
    if (auto diff = first_difference_from_policy(checked, policy, kernel))
      throw Error("seccomp: libseccomp " + std::to_string(SCMP_VER_MAJOR) + "." +
                  std::to_string(SCMP_VER_MINOR) + "." + std::to_string(SCMP_VER_MICRO) +
                  " built a filter that does not decide as the policy says (" + *diff +
                  "); use the default backend");
  }
  return prog;
}

}  // namespace policy::seccomp
