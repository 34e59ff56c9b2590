#include "compiler/driver/report.hpp"

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "compiler/apparmor/coverage.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/syscall_args.hpp"
#include "compiler/driver/plan_json.hpp"
#include "compiler/driver/report_layers.hpp"
#include "compiler/importer/pol_writer.hpp"
#include "compiler/ir/describe.hpp"
#include "compiler/landlock/ruleset.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::driver {

Enforcement ReportEntry::overall() const {
  Enforcement best = Enforcement::NotEnforced;
  for (const LayerVerdict& l : layers) {
    if (l.status == Enforcement::Enforced) return Enforcement::Enforced;
    if (l.status == Enforcement::Partial) best = Enforcement::Partial;
  }
  return best;
}

std::string ReportEntry::status() const {
  return grant ? "granted" : enforcement_name(overall());
}

ReportTarget host_target() {
  ReportTarget t;
  std::ifstream f("/sys/module/apparmor/parameters/enabled");
  std::string v;
  t.apparmor = f && (f >> v) && v == "Y";
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  t.landlock_abi = abi > 0 ? static_cast<int>(abi) : 0;
  return t;
}

namespace {

std::string seccomp_rule_text(const ir::SyscallRule& r) {
  std::string s = seccomp::describe(r.action) + " " + r.syscall;
  if (!r.args.empty()) s += "(" + importer::condition_text(r.syscall, r.args) + ")";
  return s;
}

void add_seccomp(Report& rep, const ir::Policy& p) {
  ReportEntry def{"syscalls",
                  "default " + seccomp::describe(p.seccomp.default_action),
                  p.loc,
                  {{"seccomp", Enforcement::Enforced, ""}}};
  rep.entries.push_back(def);
  for (const ir::SyscallRule& r : p.seccomp.rules) {
    LayerVerdict v{"seccomp", Enforcement::Enforced, ""};
    for (const ir::Conjunction& c : r.args)
      for (const ir::Comparison& cmp : c)
        if (syscall_arg_is_pointer(r.syscall, cmp.arg)) {
          v.status = Enforcement::Partial;
          v.reason = "argument '" + cmp.arg_name +
                     "' is a pointer: seccomp compares the address, not the data it points to";
        }
    std::string text = seccomp_rule_text(r);
    if (!r.via.empty()) text += "  [via " + r.via + "]";
    rep.entries.push_back({"syscalls", text, r.loc, {v}});
  }
  for (const ir::SyscallRule& r : p.seccomp.inactive_rules) {
    std::string why;
    for (auto& c : r.requires_caps) why += "needs " + c + ", which the policy drops; ";
    for (auto& c : r.unless_caps) why += "applies only without " + c + ", which the policy keeps; ";
    if (why.empty()) why = "the target kernel is older than the rule's `when kernel`; ";
    why.resize(why.size() - 2);
    rep.entries.push_back({"syscalls",
                           seccomp_rule_text(r) + "  (inactive)",
                           r.loc,
                           {{"seccomp", Enforcement::Enforced, "inactive by design: " + why}}});
  }
}

void add_capabilities(Report& rep, const ir::Policy& p) {
  const ir::CapabilitySets& c = p.capabilities;
  auto line = [&](const char* set, uint64_t mask) {
    std::string names;
    for (auto& n : caps::names(mask)) names += (names.empty() ? "" : ", ") + n;
    rep.entries.push_back({"capabilities",
                           std::string(set) + " " + caps::status_hex(mask) +
                               (names.empty() ? "" : " (" + names + ")"),
                           c.loc,
                           {{"capabilities", Enforcement::Enforced, ""}}});
  };
  line("bounding", c.bounding);
  line("permitted", c.permitted);
  line("effective", c.effective);
  line("inheritable", c.inheritable);
  line("ambient", c.ambient);
}

// AppArmor and Landlock each judge the same filesystem/network rules; merge their verdicts into
// one entry per rule (matched by location and text).
ReportEntry* find_entry(Report& rep, const SourceLoc& loc, const std::string& rule) {
  for (ReportEntry& e : rep.entries)
    if ((e.section == "filesystem" || e.section == "network") && e.loc == loc && e.rule == rule)
      return &e;
  return nullptr;
}

void add_lsm(Report& rep, const ir::Policy& p, const ReportTarget& t) {
  std::vector<RuleCoverage> aa = apparmor::apparmor_coverage(p);
  std::vector<RuleCoverage> ll = landlock::landlock_coverage(p, t.landlock_abi);
  // The network rules as the coverage lists name them; every other LSM rule is a filesystem one.
  std::vector<std::string> network_rules = {"scope abstract-unix", "scope signals"};
  for (const ir::SocketRule& r : p.network.sockets) network_rules.push_back(describe(r));
  for (const ir::PortRule& r : p.network.ports) network_rules.push_back(describe(r));
  auto section_of = [&](const std::string& rule) {
    bool net = std::find(network_rules.begin(), network_rules.end(), rule) != network_rules.end();
    return std::string(net ? "network" : "filesystem");
  };
  for (const RuleCoverage& c : aa) {
    LayerVerdict v{"apparmor", c.status, c.reason};
    if (!t.apparmor && c.status != Enforcement::NotEnforced) {
      v.status = Enforcement::NotEnforced;
      v.reason = "the target kernel has no AppArmor" + (c.reason.empty() ? "" : "; " + c.reason);
    }
    if (ReportEntry* e = find_entry(rep, c.loc, c.rule))
      e->layers.push_back(v);
    else
      rep.entries.push_back({section_of(c.rule), c.rule, c.loc, {v}});
  }
  for (const RuleCoverage& c : ll) {
    LayerVerdict v{"landlock", c.status, c.reason};
    if (ReportEntry* e = find_entry(rep, c.loc, c.rule))
      e->layers.push_back(v);
    else
      rep.entries.push_back({section_of(c.rule), c.rule, c.loc, {v}});
  }
}

// The entry of one LSM rule (created when neither LSM listed it).
ReportEntry& entry_of(Report& rep, const std::string& section, const SourceLoc& loc,
                      const std::string& rule) {
  if (ReportEntry* e = find_entry(rep, loc, rule)) return *e;
  rep.entries.push_back({section, rule, loc, {}});
  return rep.entries.back();
}

// Grants, and what the other layers do for the denies: the compiled seccomp filter (socket
// families, mount calls) and policyrun's mounts (masked, read-only and noexec paths).
void add_other_layers(Report& rep, const ir::Policy& p, const ReportTarget& t,
                      const FilterProbe& probe) {
  const ir::FilesystemPolicy& fs = p.filesystem;
  if (fs.allow_all_files) entry_of(rep, "filesystem", fs.allow_all_loc, "allow all").grant = true;
  for (const ir::PathRule& r : fs.rules) {
    ReportEntry& e = entry_of(rep, "filesystem", r.loc, describe(r));
    e.grant = !r.deny;
    if (auto v = runtime_path_verdict(p, r)) e.layers.push_back(*v);
  }
  for (const ir::MountRule& r : fs.mount_rules) {
    ReportEntry& e = entry_of(rep, "filesystem", r.loc, describe(r));
    e.grant = !r.deny;
    if (r.deny)
      if (auto v = probe.mount_calls(r.kind)) e.layers.push_back(*v);
  }
  for (const ir::SignalRule& r : fs.signal_rules)
    entry_of(rep, "filesystem", r.loc, describe(r)).grant = !r.deny;
  for (const ir::PtraceRule& r : fs.ptrace_rules)
    entry_of(rep, "filesystem", r.loc, describe(r)).grant = !r.deny;

  const ir::NetworkPolicy& net = p.network;
  bool every_family = false;
  for (const ir::SocketRule& r : net.sockets) {
    ReportEntry& e = entry_of(rep, "network", r.loc, describe(r));
    e.grant = !r.deny;
    if (!r.deny && r.family.empty() && r.type.empty()) every_family = true;
    if (r.deny)
      if (auto v = probe.sockets(r.family, r.type)) e.layers.push_back(*v);
  }
  for (const ir::PortRule& r : net.ports)
    entry_of(rep, "network", r.loc, describe(r)).grant = !r.deny;
  // What the socket grants leave out must be refused by some layer.
  if (net.specified && !every_family) {
    ReportEntry e{"network", "other socket families refused", p.loc, {}};
    e.layers.push_back(probe.ungranted_families(net));
    e.layers.push_back(
        t.apparmor ? LayerVerdict{"apparmor", Enforcement::Enforced,
                                  "the profile's network rules allow only the granted families"}
                   : LayerVerdict{"apparmor", Enforcement::NotEnforced,
                                  "the target kernel has no AppArmor"});
    e.layers.push_back({"landlock", Enforcement::NotEnforced,
                        "Landlock does not restrict socket families or types"});
    rep.entries.push_back(e);
  }
}

void add_runtime(Report& rep, const ir::Policy& p) {
  auto rt = [&](const std::string& section, const std::string& rule, const SourceLoc& loc,
                Enforcement s = Enforcement::Enforced, const std::string& why = "") {
    rep.entries.push_back({section, rule, loc, {{"runtime", s, why}}});
  };
  for (const ir::NamespaceSpec& n : p.namespaces.namespaces)
    rt("namespaces",
       std::string(namespace_name(n.kind)) + (n.join_path.empty() ? "" : " join " + n.join_path) +
           (n.container.empty() ? "" : " container " + n.container),
       n.loc);
  const ir::ResourceLimits& r = p.resources;
  auto res = [&](const char* what, const char* files, bool present) {
    if (present) rt("resources", std::string(what) + "  (cgroup: " + files + ")", r.loc);
  };
  res("memory", "memory.limit_in_bytes | memory.max", r.memory_bytes.has_value());
  res("memory.swap", "memory.memsw.limit_in_bytes | memory.swap.max",
      r.memory_swap_bytes.has_value());
  res("cpu.shares", "cpu.shares | cpu.weight", r.cpu_shares.has_value());
  res("cpu.weight", "cpu.shares | cpu.weight", r.cpu_weight.has_value());
  res("cpu.quota", "cpu.cfs_quota_us | cpu.max", r.cpu_quota_us.has_value());
  res("pids", "pids.max", r.pids.has_value());
  res("cpuset.cpus", "cpuset.cpus", r.cpuset_cpus.has_value());
  res("cpuset.mems", "cpuset.mems", r.cpuset_mems.has_value());
  auto devices = [&](const std::string& rule, const SourceLoc& loc) {
    rep.entries.push_back({"devices", rule, loc, {{"devices cgroup", Enforcement::Enforced, ""}}});
  };
  if (!r.devices.specified)
    devices(
        "no devices section: Docker's allowlist (mknod of any node; read, write and mknod of "
        "null, zero, full, random, urandom, tty, console, ptmx and the pts)",
        p.loc);
  else
    for (const ir::DeviceRule& d : r.devices.rules) {
      std::string access;
      if (d.access & ir::DeviceRule::Read) access += 'r';
      if (d.access & ir::DeviceRule::Write) access += 'w';
      if (d.access & ir::DeviceRule::Mknod) access += 'm';
      auto num = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
      devices(std::string("allow ") + static_cast<char>(d.type) + " " + num(d.major) + ":" +
                  num(d.minor) + " " + access,
              d.loc);
    }
  for (const ir::Sysctl& x : p.sysctls)
    rt("sysctl", x.key + " \"" + x.value + "\"  (the container's /proc/sys)", x.loc);
  const ir::ProcessPlan& pr = p.process;
  if (pr.no_new_privileges)
    rt("process", "no_new_privileges  (prctl PR_SET_NO_NEW_PRIVS)", pr.loc);
  else
    rt("process", "no_new_privileges false", pr.loc, Enforcement::NotEnforced,
       "setuid binaries and file capabilities can raise privileges inside the container");
  if (pr.uid)
    rt("process", "user " + std::to_string(*pr.uid) + (pr.gid ? ":" + std::to_string(*pr.gid) : ""),
       pr.loc);
  if (pr.user)
    rt("process", "user " + *pr.user + "  (looked up in the image's /etc/passwd)", pr.loc);
  if (pr.hostname) rt("process", "hostname \"" + *pr.hostname + "\"  (uts namespace)", pr.loc);
  for (const ir::Rlimit& l : pr.rlimits)
    rt("process", "rlimit " + std::to_string(l.resource), l.loc);
  const ir::RootfsPlan& root = p.rootfs;
  if (root.readonly) rt("rootfs", "readonly", root.loc);
  if (root.nosuid) rt("rootfs", "root nosuid", root.loc);
  if (root.nodev) rt("rootfs", "root nodev", root.loc);
  if (root.use_chroot)
    rt("rootfs", "chroot", root.loc, Enforcement::Partial,
       "chroot is escapable by a process with CAP_SYS_CHROOT; pivot_root is not");
  for (const ir::MountSpec& m : root.mounts) rt("rootfs", "mount " + m.target, m.loc);
  for (const std::string& m : root.masked_paths) rt("rootfs", "masked " + m, root.loc);
  for (const std::string& m : root.readonly_paths) rt("rootfs", "readonly-paths " + m, root.loc);
}

}  // namespace

Report enforceability_report(const ir::Policy& policy, const ReportTarget& target,
                             const SeccompOptions& seccomp) {
  Report rep;
  rep.policy = policy.name;
  rep.target = target;
  add_seccomp(rep, policy);
  add_capabilities(rep, policy);
  add_lsm(rep, policy, target);
  const seccomp::Program filter = compile_seccomp(policy.seccomp, seccomp);
  add_other_layers(rep, policy, target, FilterProbe(policy.seccomp, filter));
  add_runtime(rep, policy);
  return rep;
}

std::string report_text(const Report& rep) {
  std::ostringstream os;
  os << "policy " << rep.policy << ": enforceability on a kernel with "
     << (rep.target.apparmor ? "AppArmor" : "no AppArmor") << " and "
     << (rep.target.landlock_abi ? "Landlock ABI " + std::to_string(rep.target.landlock_abi)
                                 : std::string("no Landlock"))
     << "\n";
  size_t counts[3] = {0, 0, 0}, grants = 0;
  std::string section;
  for (const ReportEntry& e : rep.entries) {
    if (e.section != section) {
      section = e.section;
      os << "\n[" << section << "]\n";
    }
    Enforcement o = e.overall();
    if (e.grant)
      ++grants;
    else
      ++counts[static_cast<int>(o)];
    os << "  "
       << (e.grant                      ? "granted "
           : o == Enforcement::Enforced ? "ok      "
           : o == Enforcement::Partial  ? "PARTIAL "
                                        : "NONE    ")
       << e.rule;
    if (e.loc.known()) os << "  (" << e.loc.str() << ")";
    os << "\n";
    for (const LayerVerdict& l : e.layers) {
      os << "            " << l.layer << ": " << enforcement_name(l.status);
      if (!l.reason.empty()) os << " — " << l.reason;
      os << "\n";
    }
  }
  os << "\n"
     << rep.entries.size() << " rules: " << counts[0] << " enforced, " << counts[1]
     << " partially, " << counts[2] << " not enforced; " << grants << " grants\n";
  return os.str();
}

nlohmann::json report_json(const Report& rep) {
  nlohmann::json j;
  j["policy"] = rep.policy;
  j["target"] = {{"apparmor", rep.target.apparmor}, {"landlockAbi", rep.target.landlock_abi}};
  auto& rules = j["rules"] = nlohmann::json::array();
  // Every status, zero counts too, as the text's last line counts them.
  nlohmann::json summary = {{"enforced", 0}, {"partially", 0}, {"not enforced", 0}, {"granted", 0}};
  for (const ReportEntry& e : rep.entries) {
    nlohmann::json r{{"section", e.section}, {"rule", e.rule}, {"status", e.status()}};
    if (e.loc.known()) r["location"] = e.loc.str();
    auto& layers = r["layers"] = nlohmann::json::array();
    for (const LayerVerdict& l : e.layers) {
      nlohmann::json lj{{"layer", l.layer}, {"status", enforcement_name(l.status)}};
      if (!l.reason.empty()) lj["reason"] = l.reason;
      layers.push_back(lj);
    }
    rules.push_back(r);
    summary[e.status()] = summary[e.status()].get<int>() + 1;
  }
  j["summary"] = summary;
  return j;
}

}  // namespace policy::driver
