// OCI and Docker seccomp JSON from the IR.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/json.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::seccomp {

namespace {

using nlohmann::json;

const char* op_name(scmp_compare op) {
  switch (op) {
    case SCMP_CMP_NE:
      return "SCMP_CMP_NE";
    case SCMP_CMP_LT:
      return "SCMP_CMP_LT";
    case SCMP_CMP_LE:
      return "SCMP_CMP_LE";
    case SCMP_CMP_EQ:
      return "SCMP_CMP_EQ";
    case SCMP_CMP_GE:
      return "SCMP_CMP_GE";
    case SCMP_CMP_GT:
      return "SCMP_CMP_GT";
    case SCMP_CMP_MASKED_EQ:
      return "SCMP_CMP_MASKED_EQ";
    default:
      return "SCMP_CMP_EQ";
  }
}

// "SCMP_ACT_ERRNO" plus the errnoRet the action carries, if any.
std::pair<std::string, std::optional<uint32_t>> action_json(const ir::Action& a) {
  switch (a.kind) {
    case ir::ActionKind::Allow:
      return {"SCMP_ACT_ALLOW", std::nullopt};
    case ir::ActionKind::Errno:
      return {"SCMP_ACT_ERRNO", a.value};
    case ir::ActionKind::KillProcess:
      return {"SCMP_ACT_KILL_PROCESS", std::nullopt};
    case ir::ActionKind::KillThread:
      return {"SCMP_ACT_KILL_THREAD", std::nullopt};
    case ir::ActionKind::Trap:
      if (a.value != 0)
        throw Error("seccomp JSON: trap(" + std::to_string(a.value) +
                    ") has no OCI/Docker spelling (SCMP_ACT_TRAP carries no data)");
      return {"SCMP_ACT_TRAP", std::nullopt};
    case ir::ActionKind::Log:
      return {"SCMP_ACT_LOG", std::nullopt};
    case ir::ActionKind::Trace:
      return {"SCMP_ACT_TRACE", a.value};
    case ir::ActionKind::UserNotify:
      return {"SCMP_ACT_NOTIFY", std::nullopt};
  }
  return {"SCMP_ACT_KILL_PROCESS", std::nullopt};
}

json args_json(const std::vector<scmp_arg_cmp>& conds) {
  json args = json::array();
  for (const scmp_arg_cmp& c : conds) {
    json a;
    a["index"] = c.arg;
    a["value"] = c.datum_a;
    a["valueTwo"] = c.datum_b;
    a["op"] = op_name(c.op);
    args.push_back(a);
  }
  return args;
}

// The `syscalls` entries of the rules libseccomp gets for `policy` on its arches: grouped by
// (action, args) with sorted names; the common part of both formats.
json syscall_entries(const ir::SeccompPolicy& policy, const ir::KernelVersion& kernel) {
  // runc hands the JSON to libseccomp, which widens socket/IPC rules on multiplexing arches; the
  // JSON says the same as the policy, so the widening is runc's, documented in docs/seccomp.md.
  const LibseccompPlan plan = plan_libseccomp(policy, kernel, /*allow_multiplexer_widening=*/true);

  // Every (syscall, action, args) libseccomp gets, and the arches it gets it on.
  struct Key {
    std::string action;
    std::optional<uint32_t> ret;
    std::string args;
    auto operator<=>(const Key&) const = default;
  };
  std::map<std::pair<std::string, Key>, std::set<uint32_t>> seen;
  std::map<Key, json> args_of;
  for (size_t i = 0; i < plan.arches.size(); ++i)
    for (const LibseccompRule& r : plan.rules[i]) {
      auto [act, ret] = action_json(r.action);
      json args = args_json(r.conds);
      Key k{act, ret, args.dump()};
      args_of[k] = args;
      seen[{r.syscall, k}].insert(plan.arches[i]);
    }
  // runc applies each entry on every arch of the filter: a rule is exact only when it is there on
  // every target arch that has the syscall.
  std::map<Key, std::set<std::string>> groups;
  for (const auto& [sk, on] : seen) {
    for (uint32_t arch : plan.arches)
      if (libseccomp_has_syscall(sk.first, arch) && !on.count(arch))
        throw Error("seccomp JSON: the rule " + sk.second.action + " for '" + sk.first +
                    "' applies on " + names::arch_name(*on.begin()) + " but not on " +
                    names::arch_name(arch) +
                    ", and OCI/Docker JSON applies a rule on every architecture of the filter; "
                    "write a compiled filter instead, or target one architecture (--arch)");
    groups[sk.second].insert(sk.first);
  }
  std::vector<std::pair<Key, std::vector<std::string>>> entries;
  for (auto& [k, names_set] : groups)
    entries.emplace_back(k, std::vector<std::string>(names_set.begin(), names_set.end()));
  // Stable order: unconditional entries first, then by action and first name.
  std::sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) {
    const bool cx = x.first.args != "[]", cy = y.first.args != "[]";
    if (cx != cy) return cy;
    if (x.first.action != y.first.action) return x.first.action < y.first.action;
    if (x.first.ret != y.first.ret) return x.first.ret < y.first.ret;
    if (x.second.front() != y.second.front()) return x.second.front() < y.second.front();
    return x.first.args < y.first.args;
  });

  json syscalls = json::array();
  for (const auto& [k, ns] : entries) {
    json e;
    e["names"] = ns;
    e["action"] = k.action;
    if (k.ret) e["errnoRet"] = *k.ret;
    if (k.args != "[]") e["args"] = args_of[k];
    syscalls.push_back(e);
  }
  return syscalls;
}

}  // namespace

std::string scmp_arch_name(uint32_t arch_token) {
  std::string n = names::arch_name(arch_token);
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "SCMP_ARCH_" + n;
}

namespace {

// The default action, as both formats write it.
void write_default(json& out, const ir::SeccompPolicy& policy) {
  auto [def, def_ret] = action_json(policy.default_action);
  out["defaultAction"] = def;
  if (def_ret) out["defaultErrnoRet"] = *def_ret;
}

// ---- Docker's gates (moby's profiles/seccomp setupSeccomp reads them) ----

// One archMap entry: a host architecture and the ABIs its kernel also runs.
struct ArchGroup {
  uint32_t native;
  std::vector<uint32_t> members;  // native first
};

// Every host architecture libseccomp knows with its compat ABIs (names::compat_arches): the arches
// that are no other arch's compat ABI. When the policy targets one such whole group (the default:
// the host's), the export lists them all, as Docker's profile does; otherwise only the policy's
// arches, the first as the host.
std::vector<ArchGroup> arch_groups(const std::vector<uint32_t>& target) {
  std::set<uint32_t> compat, wanted(target.begin(), target.end());
  std::vector<uint32_t> all;
  for (const std::string& n : names::all_arch_names())
    if (auto t = names::arch_token(n)) {
      all.push_back(*t);
      auto c = names::compat_arches(*t);
      compat.insert(c.begin() + 1, c.end());
    }
  const auto own = names::compat_arches(target.front());
  if (std::set<uint32_t>(own.begin(), own.end()) != wanted) return {{target.front(), target}};
  std::vector<ArchGroup> groups = {{target.front(), own}};
  for (uint32_t t : all)
    if (!compat.count(t) && t != target.front()) groups.push_back({t, names::compat_arches(t)});
  return groups;
}

// How Docker names the host in includes.arches (moby's goToNative: Go's name for these two,
// libseccomp's for the others).
std::string docker_host_name(uint32_t arch) {
  std::string n = names::arch_name(arch);
  if (n == "x86_64") return "amd64";
  if (n == "aarch64") return "arm64";
  return n;
}

// A rule's gates as Docker writes them. `hosts`: the archMap groups the rule applies on (every
// group when the rule has no arch gate).
struct DockerGate {
  std::vector<size_t> hosts;
  bool arch_gated = false;
  bool by_exclusion = false;  // the rule names only the arches it is not for: excludes.arches
  std::vector<std::string> requires_caps, unless_caps;
  std::optional<ir::KernelVersion> min_kernel;
  bool operator==(const DockerGate&) const = default;
};

DockerGate docker_gate(const ir::SyscallRule& r, const std::vector<ArchGroup>& groups) {
  DockerGate g;
  g.requires_caps = r.requires_caps;
  g.unless_caps = r.unless_caps;
  std::sort(g.requires_caps.begin(), g.requires_caps.end());
  std::sort(g.unless_caps.begin(), g.unless_caps.end());
  g.min_kernel = r.min_kernel;
  g.arch_gated = !r.arches.empty() || !r.not_arches.empty();
  g.by_exclusion = r.arches.empty() && !r.not_arches.empty();
  for (size_t i = 0; i < groups.size(); ++i) {
    // Docker's arch gate names the host, and the rule then applies on all its ABIs: exact only
    // when the rule applies on every ABI of the group that has the syscall, or on none.
    size_t has = 0, on = 0;
    for (uint32_t a : groups[i].members) {
      if (!libseccomp_has_syscall(r.syscall, a)) continue;
      ++has;
      const bool listed = r.arches.empty() || std::count(r.arches.begin(), r.arches.end(), a);
      if (listed && !std::count(r.not_arches.begin(), r.not_arches.end(), a)) ++on;
    }
    if (on != 0 && on != has)
      throw Error("Docker seccomp JSON: the rule " + ir::describe(r.action) + " " + r.syscall +
                  (r.loc.known() ? " (" + r.loc.str() + ")" : std::string()) +
                  " applies on some ABIs of " + names::arch_name(groups[i].native) +
                  " but not all; Docker's includes.arches names the host architecture and covers "
                  "all its ABIs. Write the rule for the whole group, or export a compiled filter");
    if (!g.arch_gated || on != 0) g.hosts.push_back(i);
  }
  return g;
}

// Whether an inactive rule is inactive because of its capability or kernel gate (so Docker's
// includes/excludes bring it back for other capabilities or kernels), rather than for a reason
// the JSON cannot say (a rule imported for another host architecture).
bool gated_away(const ir::SyscallRule& r, std::optional<uint64_t> caps,
                const ir::KernelVersion& kernel) {
  if (r.min_kernel && kernel < *r.min_kernel) return true;
  if (!caps) return false;
  auto kept = [&](const std::string& c) {
    auto n = names::capability_number(c);
    return n && *n < 64 && ((*caps >> *n) & 1);
  };
  return std::any_of(r.requires_caps.begin(), r.requires_caps.end(),
                     [&](const std::string& c) { return !kept(c); }) ||
         std::any_of(r.unless_caps.begin(), r.unless_caps.end(), kept);
}

json caps_json(const std::vector<std::string>& caps) {
  json a = json::array();
  for (const std::string& c : caps) a.push_back(c);
  return a;
}

}  // namespace

nlohmann::json to_oci_seccomp(const ir::SeccompPolicy& policy,
                              const std::optional<ir::KernelVersion>& kernel) {
  json out = json::object();
  write_default(out, policy);
  const LibseccompPlan plan = plan_libseccomp(policy, target_kernel(policy, kernel), true);
  json a = json::array();
  for (uint32_t t : plan.arches) a.push_back(scmp_arch_name(t));
  out["architectures"] = a;
  out["syscalls"] = syscall_entries(policy, target_kernel(policy, kernel));
  return out;
}

nlohmann::json to_docker_seccomp(const ir::SeccompPolicy& policy,
                                 const std::optional<ir::KernelVersion>& kernel,
                                 std::optional<uint64_t> capabilities) {
  const ir::KernelVersion k = target_kernel(policy, kernel);
  const std::vector<uint32_t> target =
      plan_libseccomp(policy, k, /*allow_multiplexer_widening=*/true).arches;
  const std::vector<ArchGroup> groups = arch_groups(target);

  json out = json::object();
  write_default(out, policy);
  json map = json::array();
  for (const ArchGroup& g : groups) {
    json subs = json::array();
    for (size_t i = 1; i < g.members.size(); ++i) subs.push_back(scmp_arch_name(g.members[i]));
    map.push_back({{"architecture", scmp_arch_name(g.native)}, {"subArchitectures", subs}});
  }
  out["archMap"] = map;

  // The rules by gate, in policy order: the active ones, and the inactive ones whose gate is why.
  std::vector<std::pair<DockerGate, std::vector<ir::SyscallRule>>> by_gate;
  auto add = [&](const ir::SyscallRule& r) {
    DockerGate g = docker_gate(r, groups);
    if (g.hosts.empty()) return;  // for none of the exported architectures
    ir::SyscallRule bare = r;
    bare.arches.clear();
    bare.not_arches.clear();
    bare.min_kernel.reset();
    bare.requires_caps.clear();
    bare.unless_caps.clear();
    auto it =
        std::find_if(by_gate.begin(), by_gate.end(), [&](const auto& e) { return e.first == g; });
    if (it == by_gate.end()) {
      by_gate.push_back({g, {}});
      it = by_gate.end() - 1;
    }
    it->second.push_back(std::move(bare));
  };
  for (const ir::SyscallRule& r : policy.rules) add(r);
  for (const ir::SyscallRule& r : policy.inactive_rules)
    if (gated_away(r, capabilities, k)) add(r);
  // Ungated rules first, as Docker's own profile lists them.
  std::stable_partition(by_gate.begin(), by_gate.end(), [&](const auto& e) {
    return !e.first.arch_gated && e.first.requires_caps.empty() && e.first.unless_caps.empty() &&
           !e.first.min_kernel;
  });

  json syscalls = json::array();
  for (const auto& [gate, rules] : by_gate) {
    ir::SeccompPolicy part = policy;
    part.rules = rules;
    part.inactive_rules.clear();
    part.arches.clear();
    for (size_t i : gate.hosts)
      part.arches.insert(part.arches.end(), groups[i].members.begin(), groups[i].members.end());
    json includes = json::object(), excludes = json::object();
    if (gate.arch_gated) {
      json hosts = json::array();
      for (size_t i = 0; i < groups.size(); ++i) {
        const bool on = std::count(gate.hosts.begin(), gate.hosts.end(), i) != 0;
        if (on != gate.by_exclusion) hosts.push_back(docker_host_name(groups[i].native));
      }
      if (!hosts.empty()) (gate.by_exclusion ? excludes : includes)["arches"] = hosts;
    }
    if (!gate.requires_caps.empty()) includes["caps"] = caps_json(gate.requires_caps);
    if (!gate.unless_caps.empty()) excludes["caps"] = caps_json(gate.unless_caps);
    if (gate.min_kernel)
      includes["minKernel"] =
          std::to_string(gate.min_kernel->major) + "." + std::to_string(gate.min_kernel->minor);
    for (json e : syscall_entries(part, k)) {
      if (!includes.empty()) e["includes"] = includes;
      if (!excludes.empty()) e["excludes"] = excludes;
      syscalls.push_back(e);
    }
  }
  out["syscalls"] = syscalls;
  return out;
}

}  // namespace policy::seccomp
