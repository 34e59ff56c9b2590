#include "runtime/oci/overlay.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/driver/driver.hpp"
#include "runtime/common/text.hpp"
#include "runtime/launch/policy_cache.hpp"

namespace policy::oci {

namespace {

// " (from the policy web.pol:12:3)", or the policy's own location when the section has none.
std::string from(const SourceLoc& loc, const ir::Policy& overlay) {
  const SourceLoc& at = loc.known() ? loc : overlay.loc;
  return " (from the policy " + (at.known() ? at.str() : overlay.name) + ")";
}

std::string names_of(uint64_t mask) {
  std::string out;
  for (const auto& n : caps::names(mask)) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void narrow_capabilities(ir::CapabilitySets& t, const ir::CapabilitySets& o, const ir::Policy& ov,
                         std::vector<std::string>& report) {
  const std::pair<const char*, std::pair<uint64_t*, uint64_t>> sets[] = {
      {"bounding", {&t.bounding, o.bounding}},
      {"permitted", {&t.permitted, o.permitted}},
      {"effective", {&t.effective, o.effective}},
      {"inheritable", {&t.inheritable, o.inheritable}},
      {"ambient", {&t.ambient, o.ambient}}};
  for (const auto& [name, pair] : sets) {
    const uint64_t dropped = *pair.first & ~pair.second;
    *pair.first &= pair.second;
    if (dropped)
      report.push_back(std::string("capabilities.") + name + ": " + names_of(dropped) + " dropped" +
                       from(o.loc, ov));
  }
}

void narrow_rlimits(std::vector<ir::Rlimit>& t, const std::vector<ir::Rlimit>& o,
                    const ir::Policy& ov, std::vector<std::string>& report) {
  for (const ir::Rlimit& r : o) {
    auto same = std::find_if(t.begin(), t.end(), [&](auto& x) { return x.resource == r.resource; });
    const std::string name = names::constant_name("RLIMIT_", r.resource).value_or("rlimit");
    if (same == t.end()) {
      t.push_back(r);
      report.push_back(name + " " + std::to_string(r.soft) + "/" + std::to_string(r.hard) +
                       from(r.loc, ov));
    } else if (r.soft < same->soft || r.hard < same->hard) {
      same->soft = std::min(same->soft, r.soft);
      same->hard = std::min(same->hard, r.hard);
      report.push_back(name + " lowered to " + std::to_string(same->soft) + "/" +
                       std::to_string(same->hard) + from(r.loc, ov));
    }
  }
}

// "0-3,8" -> {0,1,2,3,8}; nullopt when not a list of numbers and ranges.
std::optional<std::set<unsigned>> cpu_list(const std::string& text) {
  std::set<unsigned> out;
  for (const auto& part : runtime::split(text, ',')) {
    unsigned a = 0, b = 0;
    char dash = 0;
    int n = std::sscanf(part.c_str(), "%u%c%u", &a, &dash, &b);
    if (n == 1)
      b = a;
    else if (n != 3 || dash != '-' || b < a || b - a > 65536)
      return std::nullopt;
    for (unsigned i = a; i <= b; ++i) out.insert(i);
  }
  return out;
}

std::string cpu_text(const std::set<unsigned>& cpus) {
  std::string out;
  for (unsigned c : cpus) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out;
}

void narrow_cpuset(std::optional<std::string>& t, const std::optional<std::string>& o,
                   const char* name, const ir::Policy& ov, std::vector<std::string>& report) {
  if (!o) return;
  if (t) {
    auto a = cpu_list(*t), b = cpu_list(*o);
    const std::string where = "linux.resources.cpu and the policy's " + std::string(name) +
                              from(ov.resources.loc, ov) + ": ";
    if (!a || !b) throw Error(where + "'" + *t + "' or '" + *o + "' is not a list of CPUs");
    std::set<unsigned> both;
    std::set_intersection(a->begin(), a->end(), b->begin(), b->end(),
                          std::inserter(both, both.end()));
    if (both.empty())
      throw Error(where + "the config's " + *t + " and the policy's " + *o +
                  " have nothing in common: the container could run nowhere");
    t = cpu_text(both);
  } else {
    t = o;
  }
  report.push_back(std::string(name) + " " + *t + from(ov.resources.loc, ov));
}

// Whether rule `e` grants all that rule `r` does: every device it names, every access it gives.
bool device_covers(const ir::DeviceRule& e, const ir::DeviceRule& r) {
  return (e.type == ir::DeviceRule::All || e.type == r.type) &&
         (e.major < 0 || e.major == r.major) && (e.minor < 0 || e.minor == r.minor) &&
         (e.access & r.access) == r.access;
}

// The devices both allowlists allow: each pair of rules meets in the devices both name, with the
// access both give.
std::vector<ir::DeviceRule> intersect(const std::vector<ir::DeviceRule>& a,
                                      const std::vector<ir::DeviceRule>& b) {
  std::vector<ir::DeviceRule> out;
  auto meet = [](int64_t x, int64_t y, int64_t& r) {
    if (x >= 0 && y >= 0 && x != y) return false;
    r = x >= 0 ? x : y;
    return true;
  };
  for (const auto& x : a)
    for (const auto& y : b) {
      ir::DeviceRule r = y;
      if (x.type != ir::DeviceRule::All && y.type != ir::DeviceRule::All && x.type != y.type)
        continue;
      r.type = x.type == ir::DeviceRule::All ? y.type : x.type;
      r.access = x.access & y.access;
      if (!r.access || !meet(x.major, y.major, r.major) || !meet(x.minor, y.minor, r.minor))
        continue;
      const bool dup = std::any_of(out.begin(), out.end(), [&](const ir::DeviceRule& e) {
        return e.type == r.type && e.major == r.major && e.minor == r.minor && e.access == r.access;
      });
      if (!dup) out.push_back(r);
    }
  // A rule another one already grants says nothing.
  auto covers = device_covers;
  std::vector<ir::DeviceRule> kept;
  for (size_t i = 0; i < out.size(); ++i) {
    bool said = false;
    for (size_t j = 0; j < out.size() && !said; ++j)
      said = j != i && covers(out[j], out[i]) && !(covers(out[i], out[j]) && j > i);
    if (!said) kept.push_back(out[i]);
  }
  return kept;
}

void narrow_resources(ir::ResourceLimits& t, const ir::ResourceLimits& o, const ir::Policy& ov,
                      std::vector<std::string>& report) {
  auto lower = [&](std::optional<uint64_t>& mine, const std::optional<uint64_t>& theirs,
                   const char* name) {
    if (!theirs || (mine && *mine <= *theirs)) return;
    mine = theirs;
    report.push_back(std::string(name) + " " + std::to_string(*theirs) + from(o.loc, ov));
  };
  lower(t.memory_bytes, o.memory_bytes, "memory");
  lower(t.memory_swap_bytes, o.memory_swap_bytes, "memory+swap");
  lower(t.cpu_shares, o.cpu_shares, "cpu.shares");
  lower(t.cpu_weight, o.cpu_weight, "cpu.weight");
  lower(t.pids, o.pids, "pids");
  // CPU time: the smaller share of a period wins, quota and period together.
  if (o.cpu_quota_us && o.cpu_period_us) {
    const double theirs = double(*o.cpu_quota_us) / double(*o.cpu_period_us);
    const bool tighter = !t.cpu_quota_us || !t.cpu_period_us ||
                         theirs < double(*t.cpu_quota_us) / double(*t.cpu_period_us);
    if (tighter) {
      t.cpu_quota_us = o.cpu_quota_us;
      t.cpu_period_us = o.cpu_period_us;
      report.push_back("cpu quota " + std::to_string(*o.cpu_quota_us) + "us per " +
                       std::to_string(*o.cpu_period_us) + "us" + from(o.loc, ov));
    }
  }
  narrow_cpuset(t.cpuset_cpus, o.cpuset_cpus, "cpuset.cpus", ov, report);
  narrow_cpuset(t.cpuset_mems, o.cpuset_mems, "cpuset.mems", ov, report);
  const size_t before = t.devices.rules.size();
  std::vector<ir::DeviceRule> both = intersect(t.devices.rules, o.devices.rules);
  // Narrowed unless every rule of the config is still granted by one of the result.
  const bool narrowed = std::any_of(t.devices.rules.begin(), t.devices.rules.end(), [&](auto& r) {
    return std::none_of(both.begin(), both.end(), [&](auto& b) { return device_covers(b, r); });
  });
  t.devices.rules = std::move(both);
  t.devices.specified = true;
  if (narrowed)
    report.push_back("devices: " + std::to_string(t.devices.rules.size()) + " allow rules, where " +
                     "the config's " + std::to_string(before) + " and the policy's " +
                     std::to_string(o.devices.rules.size()) + " meet" +
                     from(o.devices.rules.empty() ? o.loc : o.devices.rules.front().loc, ov));
}

void narrow_rootfs(ContainerConfig& c, const ir::Policy& ov, std::vector<std::string>& report) {
  ir::RootfsPlan& t = c.policy->rootfs;
  const ir::RootfsPlan& o = ov.rootfs;
  if (o.readonly && !t.readonly) {
    t.readonly = c.rootfs_readonly = true;
    report.push_back("root read-only" + from(o.loc, ov));
  }
  if (o.nosuid && !t.nosuid) report.push_back("root nosuid" + from(o.loc, ov));
  if (o.nodev && !t.nodev) report.push_back("root nodev" + from(o.loc, ov));
  t.nosuid |= o.nosuid;
  t.nodev |= o.nodev;
  auto add = [&](std::vector<std::string>& list, const std::string& p, const char* what) {
    if (std::find(list.begin(), list.end(), p) != list.end()) return;
    list.push_back(p);
    report.push_back(std::string(what) + " " + p + from(o.loc, ov));
  };
  for (const auto& p : o.masked_paths) add(t.masked_paths, p, "masked");
  for (const auto& p : o.readonly_paths) add(t.readonly_paths, p, "read-only");
  for (const auto& m : o.mounts) {
    t.mounts.push_back(m);
    report.push_back(std::string("mount ") + ir::mount_kind_name(m.kind) + " " + m.target +
                     from(m.loc, ov));
  }
  if (o.use_chroot)
    report.push_back("chroot: not used (the config's root is entered with pivot_root)");
}

void add_namespaces(ir::NamespacePlan& t, const ir::NamespacePlan& o, const ir::Policy& ov,
                    std::vector<std::string>& report) {
  for (const auto& n : o.namespaces) {
    if (t.has(n.kind)) continue;
    if (!n.creates()) {
      report.push_back(std::string("namespace ") + ir::namespace_name(n.kind) +
                       ": the policy joins one; not applied (the config shares the host's)" +
                       from(n.loc, ov));
      continue;
    }
    t.namespaces.push_back(n);
    if (n.kind == ir::NamespaceKind::User && t.uid_map.empty()) {
      t.uid_map = o.uid_map;
      t.gid_map = o.gid_map;
    }
    report.push_back(std::string("namespace ") + ir::namespace_name(n.kind) +
                     ": new, where the config shares the host's" + from(n.loc, ov));
  }
}

void apply_process_settings(ContainerConfig& c, const ir::Policy& ov,
                            std::vector<std::string>& report) {
  ir::ProcessPlan& t = c.policy->process;
  const ir::ProcessPlan& o = ov.process;
  if (o.uid || o.user) {
    t.uid = o.uid;
    t.gid = o.gid;
    t.user = o.user;
    t.supplementary_groups = o.supplementary_groups;
    report.push_back("user " +
                     (o.user ? *o.user : std::to_string(*o.uid) + ":" + std::to_string(*o.gid)) +
                     " instead of the config's " + c.process.user + from(o.loc, ov));
  }
  for (const auto& [key, value] : o.env) {
    const std::string prefix = key + "=";
    auto it = std::find_if(c.process.env.begin(), c.process.env.end(),
                           [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
    if (it != c.process.env.end())
      *it = key + "=" + value;
    else
      c.process.env.push_back(key + "=" + value);
    report.push_back("env " + key + from(o.loc, ov));
  }
  if (o.init && !t.init) report.push_back("init as PID 1" + from(o.loc, ov));
  t.init |= o.init;
  if (o.hostname && o.hostname != t.hostname)
    report.push_back("hostname " + *o.hostname + ": not applied (the config's hostname is kept)" +
                     from(o.loc, ov));
  if (o.cwd) report.push_back("cwd " + *o.cwd + ": not applied (the config's process.cwd is kept)");
}

void add_sysctls(std::vector<ir::Sysctl>& t, const std::vector<ir::Sysctl>& o, const ir::Policy& ov,
                 std::vector<std::string>& report) {
  for (const auto& s : o) {
    auto same = std::find_if(t.begin(), t.end(), [&](auto& x) { return x.key == s.key; });
    if (same != t.end())
      same->value = s.value;
    else
      t.push_back(s);
    report.push_back("sysctl " + s.key + "=" + s.value + from(s.loc, ov));
  }
}

}  // namespace

void narrow_process(ir::Policy& target, const ir::Policy& overlay,
                    std::vector<std::string>& report) {
  narrow_capabilities(target.capabilities, overlay.capabilities, overlay, report);
  narrow_rlimits(target.process.rlimits, overlay.process.rlimits, overlay, report);
  if (overlay.process.no_new_privileges && !target.process.no_new_privileges) {
    target.process.no_new_privileges = true;
    report.push_back("no_new_privileges" + from(overlay.process.loc, overlay));
  }
}

void apply_annotation_policy(ContainerConfig& c) {
  auto file = c.annotations.find(kPolicyAnnotation);
  auto name = c.annotations.find(kPolicyNameAnnotation);
  if (file == c.annotations.end()) {
    if (name != c.annotations.end())
      throw Error(c.bundle + "/config.json: annotations." + kPolicyNameAnnotation +
                  ": names a "
                  "policy but " +
                  kPolicyAnnotation + " gives no file");
    return;
  }
  const std::string where = c.bundle + "/config.json: annotations." + kPolicyAnnotation;
  // The config may come from a pod's author: only a policy file is read (the compiler's
  // diagnostics quote the file's lines), and never a FIFO or a device that would block.
  const std::string& path = file->second;
  const bool pol = path.size() > 4 && path.compare(path.size() - 4, 4, ".pol") == 0;
  if (path.empty() || path[0] != '/' || !pol)
    throw Error(where + ": '" + path + "' must be an absolute host path of a .pol file");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw sys_error(where + ": the policy", path);
  if (!S_ISREG(st.st_mode)) throw Error(where + ": " + path + " is not a regular file");
  launch::CompileRequest request;
  request.policy_file = file->second;
  request.load.include_dirs = driver::default_include_dirs();
  if (name != c.annotations.end()) request.load.policy_name = name->second;
  std::string diagnostics;
  auto compiled = launch::compile_policy(request, diagnostics);
  if (!compiled)
    throw Error(where + ": the policy " + file->second +
                " does not compile; the container is not started without it:\n" + diagnostics);
  auto overlay = std::make_unique<ir::Policy>(std::move(compiled->policy));
  ir::Policy& t = *c.policy;
  const ir::Policy& o = *overlay;
  std::vector<std::string>& report = c.report;
  report.push_back("policy " + o.name + " from " + file->second +
                   " enforced on top of the config (never wider than either)");
  for (const auto& line : runtime::split(diagnostics, '\n'))  // its warnings, one line each
    if (line.find(": warning: ") != std::string::npos) report.push_back(line);
  narrow_process(t, o, report);
  narrow_resources(t.resources, o.resources, o, report);
  narrow_rootfs(c, o, report);
  add_namespaces(t.namespaces, o.namespaces, o, report);
  apply_process_settings(c, o, report);
  add_sysctls(t.sysctls, o.sysctls, o, report);
  // AppArmor and Landlock are the policy's: the config has neither.
  t.filesystem = o.filesystem;
  t.network = o.network;
  t.name = o.name;
  t.loc = o.loc;
  t.bases = o.bases;
  if (o.filesystem.specified)
    report.push_back("filesystem: " + std::to_string(o.filesystem.rules.size()) +
                     " rules for AppArmor and Landlock" + from(o.loc, o));
  if (o.network.specified)
    report.push_back("network: socket and port rules for AppArmor and Landlock" + from(o.loc, o));
  if (!compiled->filter.empty()) {
    if (c.filters.empty()) t.seccomp = o.seccomp;
    c.filters.push_back(std::move(compiled->filter));
    report.push_back(
        "seccomp: the policy's filter installed after the config's (the kernel "
        "applies the stricter answer of the two)" +
        from(o.loc, o));
  }
  c.annotation_policy = std::move(overlay);
}

}  // namespace policy::oci
