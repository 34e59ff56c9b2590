// The seccomp part of the privilege delta: both compiled filters judged on every probed input
// (seccomp::for_each_probe), every difference kept, grouped into one change per syscall, verdict
// pair and argument condition, with the rule that causes it (seccomp::decide_rule).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "compiler/bpfgen/model.hpp"
#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"
#include "compiler/review/delta.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::review {

namespace {

using seccomp::ProbeOutcome;

// How much an action lets a call do (docs/review.md, "Which way a change goes"): allow > log >
// trace/user-notify > errno > trap > kill-thread > kill-process.
int permissiveness(const ir::Action& a) {
  switch (a.kind) {
    case ir::ActionKind::Allow:
      return 6;
    case ir::ActionKind::Log:
      return 5;
    case ir::ActionKind::Trace:
    case ir::ActionKind::UserNotify:
      return 4;
    case ir::ActionKind::Errno:
      return 3;
    case ir::ActionKind::Trap:
      return 2;
    case ir::ActionKind::KillThread:
      return 1;
    case ir::ActionKind::KillProcess:
      return 0;
  }
  return 0;
}

// Calls that break out of a container or reach the host kernel's attack surface when allowed
// (docs/review.md lists why); a widening to allow of one of them is high severity.
bool dangerous(const std::string& name) {
  static const std::set<std::string> kNames = {"ptrace",
                                               "process_vm_readv",
                                               "process_vm_writev",
                                               "mount",
                                               "umount2",
                                               "pivot_root",
                                               "move_mount",
                                               "open_tree",
                                               "fsopen",
                                               "fsmount",
                                               "fsconfig",
                                               "fspick",
                                               "bpf",
                                               "perf_event_open",
                                               "userfaultfd",
                                               "keyctl",
                                               "add_key",
                                               "request_key",
                                               "io_uring_setup",
                                               "io_uring_enter",
                                               "io_uring_register",
                                               "unshare",
                                               "setns",
                                               "kexec_load",
                                               "kexec_file_load",
                                               "init_module",
                                               "finit_module",
                                               "delete_module",
                                               "open_by_handle_at",
                                               "name_to_handle_at",
                                               "personality",
                                               "iopl",
                                               "ioperm",
                                               "swapon",
                                               "swapoff",
                                               "reboot",
                                               "syslog",
                                               "acct",
                                               "quotactl",
                                               "settimeofday",
                                               "clock_settime",
                                               "adjtimex",
                                               "clock_adjtime",
                                               "lookup_dcookie"};
  return kNames.count(name) != 0;
}

std::string verdict_word(uint32_t ret) {
  const ir::Action a = seccomp::action_of(ret);
  if (a.kind == ir::ActionKind::Allow) return "allowed";
  if (a.kind == ir::ActionKind::Log) return "allowed and logged";
  return seccomp::describe(ret);
}

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string arg_name(const std::string& syscall, unsigned slot) {
  if (slot == 6) return "the instruction pointer";
  auto names = syscall_arg_names(syscall);
  return slot < names.size() ? names[slot] : "arg" + std::to_string(slot);
}

// A constant's name where the argument takes one family of constants, e.g. AF_NETLINK (16).
std::string value_text(const std::string& arg, uint64_t v) {
  static const std::map<std::string, std::string> kPrefix = {{"domain", "AF_"},
                                                             {"family", "AF_"},
                                                             {"type", "SOCK_"},
                                                             {"resource", "RLIMIT_"},
                                                             {"request", "TIOC"}};
  auto p = kPrefix.find(arg);
  return named_value(p == kPrefix.end() ? "" : p->second, v);
}

// One argument condition under which the filters differ: slot -> value.
using Cond = std::vector<std::pair<unsigned, uint64_t>>;

// On an arch libseccomp compares as 32-bit, the filter reads an argument's low 32 bits: values
// that differ above them are the same argument there.
Cond cond_of(const ProbeOutcome& p) {
  const bool narrow = seccomp::arch_is_32bit(p.arch);
  Cond c;
  for (unsigned slot = 0; slot < 7; ++slot)
    if (p.varied & (1u << slot)) {
      const uint64_t v = slot == 6 ? p.ip : p.args[slot];
      c.emplace_back(slot, narrow && slot != 6 ? v & 0xffffffffULL : v);
    }
  return c;
}

bool subsumes(const Cond& small, const Cond& big) {
  return !small.empty() && std::all_of(small.begin(), small.end(), [&](const auto& sv) {
    return std::find(big.begin(), big.end(), sv) != big.end();
  });
}

// "a, b or c" of at most kShown values, then how many more.
std::string value_list(const std::string& arg, const std::set<uint64_t>& values) {
  constexpr size_t kShown = 8;
  std::string s;
  size_t i = 0;
  for (uint64_t v : values) {
    if (i == kShown) break;
    s += (i ? (i + 1 == values.size() ? " or " : ", ") : "") + value_text(arg, v);
    ++i;
  }
  if (values.size() > kShown) s += " (and " + std::to_string(values.size() - kShown) + " more)";
  return s;
}

// "domain is AF_NETLINK (16) or AF_ALG (38)" for the smallest conditions the differing inputs
// share: an input whose varied arguments include another's (same values) adds nothing. `agree`:
// the probes of one argument (and none) on which both filters agree. When one argument decides,
// its values are said the shorter way: those that differ, or "any but" those that agree; and by
// their low 32 bits when no agreeing value shares a differing value's low word (u32(arg)).
std::string condition_text(const std::string& syscall, std::vector<Cond> conds,
                           const std::vector<Cond>& agree) {
  std::sort(conds.begin(), conds.end(),
            [](const Cond& a, const Cond& b) { return a.size() < b.size(); });
  std::vector<Cond> kept;
  for (const Cond& c : conds)
    if (std::none_of(kept.begin(), kept.end(), [&](const Cond& k) { return subsumes(k, c); }) &&
        std::find(kept.begin(), kept.end(), c) == kept.end())
      kept.push_back(c);
  // The slot every non-empty condition is on alone, if there is one (the empty condition, every
  // argument 0, is then that argument being 0).
  std::optional<unsigned> slot;
  bool one_slot = true;
  for (const Cond& c : kept) {
    if (c.empty()) continue;
    if (c.size() != 1 || (slot && *slot != c[0].first)) one_slot = false;
    slot = c.empty() ? slot : std::optional<unsigned>(c[0].first);
  }
  if (one_slot && slot) {
    std::set<uint64_t> differ, same;
    for (const Cond& c : kept) differ.insert(c.empty() ? 0 : c[0].second);
    for (const Cond& c : agree)
      if (c.empty() || (c.size() == 1 && c[0].first == *slot))
        same.insert(c.empty() ? 0 : c[0].second);
    std::set<uint64_t> low_same;
    for (uint64_t v : same) low_same.insert(v & 0xffffffffULL);
    const bool u32 =
        std::any_of(differ.begin(), differ.end(), [](uint64_t v) { return v > 0xffffffffULL; }) &&
        std::none_of(differ.begin(), differ.end(),
                     [&](uint64_t v) { return low_same.count(v & 0xffffffffULL); });
    const std::string arg = arg_name(syscall, *slot);
    if (u32) {
      std::set<uint64_t> low;
      for (uint64_t v : differ) low.insert(v & 0xffffffffULL);
      differ = low;
      same = low_same;
    }
    const std::string shown = u32 ? "u32(" + arg + ")" : arg;
    if (!same.empty() && same.size() < differ.size())
      return shown + " is any but " + value_list(arg, same);
    return shown + " is " + value_list(arg, differ);
  }
  constexpr size_t kShown = 8;
  std::string s;
  for (size_t i = 0; i < kept.size() && i < kShown; ++i) {
    s += i ? "; or " : "";
    if (kept[i].empty()) s += "every argument is 0";
    for (size_t j = 0; j < kept[i].size(); ++j) {
      const std::string arg = arg_name(syscall, kept[i][j].first);
      s += (j ? " and " : "") + arg + " is " + value_text(arg, kept[i][j].second);
    }
  }
  if (kept.size() > kShown)
    s += " (and " + std::to_string(kept.size() - kShown) + " more probed inputs)";
  return s;
}

// Where a verdict change comes from: NEW's rule, else the OLD rule NEW dropped, else the default.
struct Cause {
  SourceLoc loc;
  bool removed = false;
  bool is_default = false;
  auto key() const { return std::make_tuple(loc.file, loc.line, loc.column, removed, is_default); }
};

Cause cause_of(const ir::Policy& o, const ir::Policy& n, const ir::KernelVersion& ko,
               const ir::KernelVersion& kn, const ProbeOutcome& p) {
  auto dn = seccomp::decide_rule(n.seccomp, p.arch, p.nr, p.args, kn);
  if (dn.rule) return {dn.rule->loc, false, false};
  // NEW's rules for the call whose conditions no longer match it (a narrowed condition), else
  // NEW's `-name` that took the call away from a base.
  if (auto name = names::syscall_name(static_cast<int>(p.nr), p.arch)) {
    for (const ir::SyscallRule& r : n.seccomp.rules)
      if (r.syscall == *name && ir::applies(r, p.arch, kn)) return {r.loc, false, false};
    if (const ir::Removal* r = n.removal("syscalls", *name)) return {r->loc, false, false};
  }
  auto dold = seccomp::decide_rule(o.seccomp, p.arch, p.nr, p.args, ko);
  if (dold.rule) return {dold.rule->loc, true, false};
  return {n.loc, false, true};
}

// A group of differences that reads as one change.
struct Group {
  std::vector<uint32_t> arches;
  std::vector<std::string> syscalls;  // for the default action's and unknown numbers' groups
  size_t unknown_numbers = 0;
};

std::vector<uint32_t> target_arches(const ir::SeccompPolicy& s) {
  return s.arches.empty() ? names::default_target_arches() : s.arches;
}

std::string arch_list(const std::vector<uint32_t>& arches) {
  std::string s;
  for (uint32_t a : arches) s += (s.empty() ? "" : ", ") + names::arch_name(a);
  return s;
}

Direction direction_of(uint32_t old_ret, uint32_t new_ret) {
  const int a = permissiveness(seccomp::action_of(old_ret)),
            b = permissiveness(seccomp::action_of(new_ret));
  return b > a ? Direction::Widen : b < a ? Direction::Narrow : Direction::Change;
}

}  // namespace

std::string named_value(const std::string& prefix, uint64_t v) {
  std::string num = v < 0x10000 ? std::to_string(v) : hex(v);
  if (prefix.empty()) return num;
  if (auto name = names::constant_name(prefix, v)) return *name + " (" + num + ")";
  return num;
}

std::vector<Change> seccomp_changes(const ir::Policy& o, const ir::Policy& n,
                                    const driver::SeccompOptions& options) {
  std::vector<Change> out;
  const auto old_arches = target_arches(o.seccomp), new_arches = target_arches(n.seccomp);
  std::vector<uint32_t> common;
  for (uint32_t a : new_arches) {
    const bool in_old = std::find(old_arches.begin(), old_arches.end(), a) != old_arches.end();
    if (in_old) {
      common.push_back(a);
      continue;
    }
    out.push_back({"syscalls", Direction::Widen, Severity::Medium,
                   "architecture " + names::arch_name(a) +
                       ": its calls now reach the policy's rules, were refused as a foreign "
                       "architecture",
                   n.loc, false});
  }
  for (uint32_t a : old_arches)
    if (std::find(new_arches.begin(), new_arches.end(), a) == new_arches.end())
      out.push_back({"syscalls", Direction::Narrow, Severity::Info,
                     "architecture " + names::arch_name(a) +
                         ": its calls are now refused as a foreign architecture",
                     n.loc, false});

  const seccomp::Program old_prog = driver::compile_seccomp(o.seccomp, options);
  const seccomp::Program new_prog = driver::compile_seccomp(n.seccomp, options);
  std::vector<uint64_t> constants = seccomp::policy_constants(o.seccomp);
  for (uint64_t c : seccomp::policy_constants(n.seccomp)) constants.push_back(c);
  const ir::KernelVersion ko = bpfgen::effective_kernel(o.seccomp, options.kernel),
                          kn = bpfgen::effective_kernel(n.seccomp, options.kernel);

  // (syscall or "", condition text, old ret, new ret, cause) -> arches (and names).
  using Key = std::tuple<std::string, std::string, uint32_t, uint32_t,
                         std::tuple<std::string, unsigned, unsigned, bool, bool>>;
  std::map<Key, Group> groups;
  std::map<Key, Cause> causes;
  std::vector<Key> order;

  constexpr size_t kKeptPerCall = 4096;
  size_t probes = 0, differing = 0;  // of the current call (diffs keeps at most kKeptPerCall)
  std::vector<ProbeOutcome> diffs;
  std::vector<Cond> agree;  // the current call's probes of at most one argument that agree
  uint32_t cur_arch = 0, cur_nr = 0;
  auto flush = [&] {
    if (diffs.empty()) return;
    const auto name = names::syscall_name(static_cast<int>(cur_nr), cur_arch);
    std::map<std::pair<uint32_t, uint32_t>, std::vector<const ProbeOutcome*>> by_pair;
    for (const ProbeOutcome& d : diffs) by_pair[{d.ret_a, d.ret_b}].push_back(&d);
    for (const auto& [pair, ds] : by_pair) {
      const bool whole = by_pair.size() == 1 && differing == probes;
      std::string cond;
      if (!whole && name) {
        std::vector<Cond> conds;
        for (const ProbeOutcome* d : ds) conds.push_back(cond_of(*d));
        cond = condition_text(*name, conds, agree);
      }
      const Cause cause = cause_of(o, n, ko, kn, *ds.front());
      // The default action's changes and numbers libseccomp has no name for read as one line.
      const bool merged = cause.is_default || !name;
      Key key{merged ? "" : *name, cond, pair.first, pair.second, cause.key()};
      auto [it, fresh] = groups.try_emplace(key);
      if (fresh) {
        order.push_back(key);
        causes[key] = cause;
      }
      Group& g = it->second;
      if (std::find(g.arches.begin(), g.arches.end(), cur_arch) == g.arches.end())
        g.arches.push_back(cur_arch);
      if (!name)
        ++g.unknown_numbers;
      else if (merged && std::find(g.syscalls.begin(), g.syscalls.end(), *name) == g.syscalls.end())
        g.syscalls.push_back(*name);
    }
    diffs.clear();
  };
  auto next_call = [&] {
    flush();
    agree.clear();
  };
  seccomp::for_each_probe(old_prog, new_prog, common, constants, [&](const ProbeOutcome& p) {
    if (p.arch != cur_arch || p.nr != cur_nr) {
      next_call();
      cur_arch = p.arch;
      cur_nr = p.nr;
      probes = differing = 0;
    }
    ++probes;
    differing += p.ret_a != p.ret_b;
    if (p.ret_a != p.ret_b && diffs.size() < kKeptPerCall) diffs.push_back(p);
    if (p.ret_a == p.ret_b && p.depth <= 1) agree.push_back(cond_of(p));
    return true;
  });
  next_call();

  for (const Key& key : order) {
    const Group& g = groups[key];
    const Cause& cause = causes[key];
    const auto& [name, cond, old_ret, new_ret, _] = key;
    const Direction dir = direction_of(old_ret, new_ret);
    std::string text;
    if (!name.empty()) {
      text = name + ": " + (cond.empty() ? "now " : "") + verdict_word(new_ret) +
             (cond.empty() ? "" : " when " + cond) + ", was " + verdict_word(old_ret);
    } else {
      std::string list;
      for (size_t i = 0; i < g.syscalls.size() && i < 12; ++i)
        list += (i ? ", " : "") + g.syscalls[i];
      if (g.syscalls.size() > 12)
        list += " and " + std::to_string(g.syscalls.size() - 12) + " more";
      if (g.unknown_numbers)
        list += (list.empty() ? "" : "; ") + std::to_string(g.unknown_numbers) +
                " numbers libseccomp has no name for";
      text = std::string(cause.is_default ? "default action" : "unnamed syscall numbers") + ": " +
             (cond.empty() ? "now " : "") + verdict_word(new_ret) +
             (cond.empty() ? "" : " when " + cond) + ", was " + verdict_word(old_ret) + " (" +
             list + ")";
    }
    if (g.arches != common) text += " on " + arch_list(g.arches);
    if (cause.removed) text += " (the rule was removed)";
    Severity sev = Severity::Info;
    if (dir == Direction::Widen) {
      const bool runs = permissiveness(seccomp::action_of(new_ret)) >= 5;
      bool any_dangerous = dangerous(name);
      for (const std::string& s : g.syscalls) any_dangerous = any_dangerous || dangerous(s);
      sev = !runs ? Severity::Low : any_dangerous ? Severity::High : Severity::Medium;
    }
    out.push_back({"syscalls", dir, sev, text, cause.loc, cause.removed});
  }
  return out;
}

}  // namespace policy::review
