#include "compiler/bpfgen/model.hpp"

#include <linux/audit.h>
#include <seccomp.h>

#include <algorithm>
#include <mutex>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/ir/describe.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::bpfgen {

namespace {

// The number libseccomp places a socket/IPC call at on an arch that also multiplexes it (x86:
// socket is 359 there, while seccomp_syscall_resolve_name_arch answers a pseudo number).
std::optional<uint32_t> direct_number(const std::string& name, uint32_t arch) {
  static std::mutex lock;
  static std::map<uint32_t, std::map<std::string, uint32_t>> by_arch;
  std::lock_guard<std::mutex> guard(lock);
  auto [it, fresh] = by_arch.try_emplace(arch);
  if (fresh)
    for (int nr = 0; nr < 1024; ++nr)
      if (auto n = names::syscall_name(nr, arch)) it->second.emplace(*n, static_cast<uint32_t>(nr));
  auto found = it->second.find(name);
  if (found == it->second.end()) return std::nullopt;
  return found->second;
}

std::string rule_where(const ir::SyscallRule& r) {
  std::string s = ir::describe(r.action);
  if (r.loc.known()) s += " at " + r.loc.str();
  return s;
}

}  // namespace

bool SyscallDecision::allows() const {
  if (fallback.kind == ir::ActionKind::Allow) return true;
  for (const ConditionalRule& c : conditional)
    if (c.action.kind == ir::ActionKind::Allow) return true;
  return false;
}

ir::KernelVersion effective_kernel(const ir::SeccompPolicy& policy,
                                   std::optional<ir::KernelVersion> kernel) {
  if (kernel) return *kernel;
  if (policy.target_kernel) return *policy.target_kernel;
  return seccomp::host_kernel_version();
}

PolicyModel build_model(const ir::SeccompPolicy& policy, std::optional<ir::KernelVersion> kernel) {
  const ir::KernelVersion k = effective_kernel(policy, kernel);
  PolicyModel model;
  model.default_action = policy.default_action;
  model.default_ret = seccomp::ret_of(policy.default_action);
  model.bad_arch_ret = policy.bad_arch_action ? seccomp::ret_of(*policy.bad_arch_action)
                                              : static_cast<uint32_t>(SECCOMP_RET_KILL_THREAD);
  std::vector<uint32_t> arches = policy.arches;
  if (arches.empty()) arches = names::default_target_arches();
  for (const ir::SyscallRule& r : policy.rules)
    if (!names::syscall_known(r.syscall))
      throw Error("seccomp: unknown syscall '" + r.syscall + "' (" + rule_where(r) +
                  "): libseccomp does not know it, so its number on each architecture is unknown");
  for (uint32_t arch : arches) {
    if (std::any_of(model.arches.begin(), model.arches.end(),
                    [&](const ArchModel& a) { return a.token == arch; }))
      continue;
    ArchModel am;
    am.token = arch;
    am.audit_arch = seccomp::audit_arch(arch);
    am.narrow = seccomp::arch_is_32bit(arch);
    am.little_endian = (am.audit_arch & __AUDIT_ARCH_LE) != 0;
    struct Derived {
      uint32_t mux_nr;
      ConditionalRule rule;
      bool unconditional;  // from a rule without conditions: tried after the conditional ones
    };
    std::vector<Derived> derived;
    auto add = [&](const ir::SyscallRule& r, uint32_t nr) {
      auto [it, fresh] = am.syscalls.try_emplace(nr);
      SyscallDecision& d = it->second;
      if (fresh) {
        d.name = r.syscall;
        d.fallback = policy.default_action;
      }
      if (r.args.empty()) {
        if (!d.has_unconditional) {
          d.has_unconditional = true;
          d.fallback = r.action;
        } else if (seccomp::ret_of(d.fallback) != seccomp::ret_of(r.action)) {
          throw Error("seccomp: conflicting actions for '" + r.syscall +
                      "': " + ir::describe(d.fallback) + " and " + rule_where(r) +
                      " (both unconditional); keep one of them");
        }
      } else {
        d.conditional.push_back(ConditionalRule{r.args, r.action});
      }
    };
    for (const ir::SyscallRule& r : policy.rules) {
      if (!ir::applies(r, arch, k)) continue;
      if (std::optional<int> nr = names::syscall_number(r.syscall, arch)) {
        add(r, static_cast<uint32_t>(*nr));
        continue;
      }
      // A socket or IPC call on an arch that multiplexes them (x86): libseccomp places the rule on
      // the direct call and, with the sub-call number in place of any arg0 condition, on the
      // multiplexer (socketcall/ipc), whose other arguments it compares as they are.
      const std::optional<std::string> mux = seccomp::multiplexer_of(r.syscall, arch);
      if (!mux) continue;  // absent on this arch: skipped, as the libseccomp backend does
      if (auto direct = direct_number(r.syscall, arch)) add(r, *direct);
      const int pseudo = seccomp_syscall_resolve_name_arch(arch, r.syscall.c_str());
      const uint64_t sub =
          static_cast<uint64_t>(*mux == "socketcall" ? -pseudo - 100 : -pseudo - 200);
      ir::Comparison call;
      call.arg = 0;
      call.arg_name = "call";
      call.value = sub;
      ir::Condition cond;
      if (r.args.empty()) cond.push_back({call});
      for (const ir::Conjunction& conj : r.args) {
        if (std::any_of(conj.begin(), conj.end(),
                        [&](const ir::Comparison& c) { return ir::never_holds(c, am.narrow); }))
          continue;
        ir::Conjunction rewritten{call};
        for (const ir::Comparison& c : conj)
          if (c.arg != 0) rewritten.push_back(c);
        cond.push_back(std::move(rewritten));
      }
      if (auto mux_nr = names::syscall_number(*mux, arch); mux_nr && !cond.empty())
        derived.push_back(
            {static_cast<uint32_t>(*mux_nr), ConditionalRule{cond, r.action}, r.args.empty()});
    }
    // As for a direct call, a call's conditional rules come before its unconditional one (the
    // sub-call numbers of different calls never overlap, so one partition orders them all).
    std::stable_partition(derived.begin(), derived.end(),
                          [](const Derived& x) { return !x.unconditional; });
    for (Derived& x : derived) {
      auto [it, fresh] = am.syscalls.try_emplace(x.mux_nr);
      SyscallDecision& d = it->second;
      if (fresh) {
        d.name = *names::syscall_name(static_cast<int>(x.mux_nr), arch);
        d.fallback = policy.default_action;
      }
      // libseccomp lets the multiplexer's own unconditional rule replace conditional ones.
      if (d.has_unconditional) continue;
      d.conditional.push_back(std::move(x.rule));
    }
    model.arches.push_back(std::move(am));
  }
  return model;
}

}  // namespace policy::bpfgen
