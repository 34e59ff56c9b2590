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
  auto find = [&](const RuleCoverage& c) -> ReportEntry* {
    for (ReportEntry& e : rep.entries)
      if ((e.section == "filesystem" || e.section == "network") && e.loc == c.loc &&
          e.rule == c.rule)
        return &e;
    return nullptr;
  };
  for (const RuleCoverage& c : aa) {
    LayerVerdict v{"apparmor", c.status, c.reason};
    if (!t.apparmor && c.status != Enforcement::NotEnforced) {
      v.status = Enforcement::NotEnforced;
      v.reason = "the target kernel has no AppArmor" + (c.reason.empty() ? "" : "; " + c.reason);
    }
    if (ReportEntry* e = find(c))
      e->layers.push_back(v);
    else
      rep.entries.push_back({section_of(c.rule), c.rule, c.loc, {v}});
  }
  for (const RuleCoverage& c : ll) {
    LayerVerdict v{"landlock", c.status, c.reason};
    if (ReportEntry* e = find(c))
      e->layers.push_back(v);
    else
      rep.entries.push_back({section_of(c.rule), c.rule, c.loc, {v}});
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
  if (pr.user) rt("process", "user " + *pr.user + "  (looked up in the image's /etc/passwd)", pr.loc);
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

Report enforceability_report(const ir::Policy& policy, const ReportTarget& target) {
  Report rep;
  rep.policy = policy.name;
  rep.target = target;
  add_seccomp(rep, policy);
  add_capabilities(rep, policy);
  add_lsm(rep, policy, target);
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
  size_t counts[3] = {0, 0, 0};
  std::string section;
  for (const ReportEntry& e : rep.entries) {
    if (e.section != section) {
      section = e.section;
      os << "\n[" << section << "]\n";
    }
    Enforcement o = e.overall();
    ++counts[static_cast<int>(o)];
    os << "  "
       << (o == Enforcement::Enforced  ? "ok      "
           : o == Enforcement::Partial ? "PARTIAL "
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
     << " partially, " << counts[2] << " not enforced\n";
  return os.str();
}

nlohmann::json report_json(const Report& rep) {
  nlohmann::json j;
  j["policy"] = rep.policy;
  j["target"] = {{"apparmor", rep.target.apparmor}, {"landlockAbi", rep.target.landlock_abi}};
  auto& rules = j["rules"] = nlohmann::json::array();
  for (const ReportEntry& e : rep.entries) {
    nlohmann::json r{
        {"section", e.section}, {"rule", e.rule}, {"status", enforcement_name(e.overall())}};
    if (e.loc.known()) r["location"] = e.loc.str();
    auto& layers = r["layers"] = nlohmann::json::array();
    for (const LayerVerdict& l : e.layers) {
      nlohmann::json lj{{"layer", l.layer}, {"status", enforcement_name(l.status)}};
      if (!l.reason.empty()) lj["reason"] = l.reason;
      layers.push_back(lj);
    }
    rules.push_back(r);
  }
  return j;
}

}  // namespace policy::driver
