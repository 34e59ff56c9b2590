// An OCI bundle's config.json into the launch engine's input (docs/oci-runtime.md): each field
// is applied through the IR the launch already enforces, reported when the launch has no knob
// for it, or refused with the JSON path when applying it is impossible and ignoring it unsafe.
#include "runtime/oci/config.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/diagnostics.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/frontend/resolve.hpp"
#include "compiler/importer/seccomp_json.hpp"
#include "runtime/common/host.hpp"
#include "runtime/common/unique_fd.hpp"
#include "runtime/launch/apparmor.hpp"
#include "runtime/oci/json_reader.hpp"
#include "runtime/oci/overlay.hpp"

namespace policy::oci {

using nlohmann::json;

namespace {

// A config.json with Docker's whole seccomp profile is about 30 KiB; anything near this is not
// a config.
constexpr size_t kMaxConfigBytes = 4 << 20;

std::string joined(const std::vector<std::string>& items, const char* sep = ", ") {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
  return out;
}

// ---- ociVersion -------------------------------------------------------------------------------

void check_version(const JsonReader& rd, const json& root) {
  const json* v = rd.member(root, "", "ociVersion");
  if (!v) rd.fail("ociVersion", "missing (this runtime reads runtime-spec 1.0.x to 1.2.x)");
  const std::string text = rd.string(*v, "ociVersion");
  unsigned major = 0, minor = 0;
  char dot = 0;
  if (std::sscanf(text.c_str(), "%u.%u%c", &major, &minor, &dot) != 3 || dot != '.' || major != 1 ||
      minor > 2)
    rd.fail("ociVersion", "'" + text + "' is not supported (this runtime reads 1.0.x to 1.2.x)");
}

// ---- process ----------------------------------------------------------------------------------

ir::CapabilitySets read_capabilities(const JsonReader& rd, const json& caps,
                                     const std::string& path, std::vector<std::string>& notes) {
  ir::CapabilitySets sets;
  const std::pair<const char*, uint64_t*> fields[] = {{"bounding", &sets.bounding},
                                                      {"effective", &sets.effective},
                                                      {"inheritable", &sets.inheritable},
                                                      {"permitted", &sets.permitted},
                                                      {"ambient", &sets.ambient}};
  rd.object(caps, path);
  for (const auto& [key, mask] : fields) {
    const json* list = rd.member(caps, path, key);
    if (!list) continue;
    const std::string where = join_path(path, key);
    std::vector<std::string> names = rd.strings(*list, where);
    for (size_t i = 0; i < names.size(); ++i) {
      std::string unknown;
      auto m = caps::mask_of({names[i]}, &unknown);
      if (!m)
        rd.fail(index_path(where, i),
                frontend::unknown_message("capability", names[i], names::all_capability_names()) +
                    " (libcap knows up to " + names::capability_name(names::last_capability()) +
                    ")");
      *mask |= *m;
    }
  }
  // runc raises each ambient capability and only warns when the kernel refuses one (not both
  // permitted and inheritable): `runc spec` itself lists ambient capabilities without
  // inheritable ones. They are left out here, and said.
  const uint64_t unraisable = sets.ambient & ~(sets.permitted & sets.inheritable);
  if (unraisable) {
    sets.ambient &= ~unraisable;
    notes.push_back(join_path(path, "ambient") + ": " + joined(caps::names(unraisable)) +
                    " not raised (not both permitted and inheritable; runc skips them too)");
  }
  auto problems = caps::check(sets);
  if (!problems.empty()) rd.fail(path, joined(problems, "; "));
  return sets;
}

std::vector<ir::Rlimit> read_rlimits(const JsonReader& rd, const json& list,
                                     const std::string& path) {
  std::vector<ir::Rlimit> out;
  for (size_t i = 0; i < rd.array(list, path).size(); ++i) {
    const std::string where = index_path(path, i);
    const json& r = list[i];
    const json* type = rd.member(r, where, "type");
    if (!type) rd.fail(where, "needs a type (RLIMIT_NOFILE, ...)");
    const std::string name = rd.string(*type, join_path(where, "type"));
    auto value = name.rfind("RLIMIT_", 0) == 0 ? names::constant_value(name) : std::nullopt;
    if (!value || name == "RLIMIT_NLIMITS") {
      std::vector<std::string> known;
      for (const auto& c : names::all_constant_names())
        if (c.rfind("RLIMIT_", 0) == 0 && c != "RLIMIT_NLIMITS") known.push_back(c);
      rd.fail(join_path(where, "type"), frontend::unknown_message("resource limit", name, known));
    }
    const json* soft = rd.member(r, where, "soft");
    const json* hard = rd.member(r, where, "hard");
    if (!soft || !hard) rd.fail(where, "needs both soft and hard");
    ir::Rlimit lim{static_cast<int>(*value),
                   rd.uint64(*soft, join_path(where, "soft")),
                   rd.uint64(*hard, join_path(where, "hard")),
                   {}};
    if (lim.soft > lim.hard) rd.fail(join_path(where, "soft"), "is above the hard limit");
    for (const auto& earlier : out)
      if (earlier.resource == lim.resource) rd.fail(join_path(where, "type"), name + " repeated");
    out.push_back(lim);
  }
  return out;
}

// The process object of config.json or of `exec --process`: `out` gets what the launch request
// carries, `policy` the process's confinement (capabilities, rlimits, no_new_privileges).
void read_process(const JsonReader& rd, const json& p, const std::string& path, ProcessConfig& out,
                  ir::Policy& policy, std::string& apparmor_profile,
                  std::vector<std::string>& report) {
  rd.object(p, path);
  const json* args = rd.member(p, path, "args");
  if (!args) rd.fail(path, "needs args (the command to run)");
  out.args = rd.strings(*args, join_path(path, "args"));
  if (out.args.empty() || out.args[0].empty())
    rd.fail(join_path(path, "args"), "must name the command to run");
  if (const json* env = rd.member(p, path, "env")) {
    out.env = rd.strings(*env, join_path(path, "env"));
    for (size_t i = 0; i < out.env.size(); ++i)
      if (out.env[i].find('=') == std::string::npos || out.env[i][0] == '=')
        rd.fail(index_path(join_path(path, "env"), i), "'" + out.env[i] + "' is not KEY=VALUE");
  }
  const json* cwd = rd.member(p, path, "cwd");
  if (!cwd) rd.fail(path, "needs cwd (an absolute path in the container)");
  out.cwd = rd.absolute_path(*cwd, join_path(path, "cwd"));
  if (const json* t = rd.member(p, path, "terminal"))
    out.terminal = rd.boolean(*t, join_path(path, "terminal"));

  const json* user = rd.member(p, path, "user");
  if (!user) rd.fail(path, "needs user (uid and gid)");
  const json* uid = rd.member(*user, join_path(path, "user"), "uid");
  const json* gid = rd.member(*user, join_path(path, "user"), "gid");
  if (!uid || !gid) rd.fail(join_path(path, "user"), "needs uid and gid");
  out.user = std::to_string(rd.uint64(*uid, join_path(path, "user.uid"), UINT32_MAX)) + ":" +
             std::to_string(rd.uint64(*gid, join_path(path, "user.gid"), UINT32_MAX));
  out.additional_gids.clear();
  if (const json* groups = rd.member(*user, join_path(path, "user"), "additionalGids"))
    for (size_t i = 0; i < rd.array(*groups, join_path(path, "user.additionalGids")).size(); ++i)
      out.additional_gids.push_back(static_cast<uint32_t>(rd.uint64(
          (*groups)[i], index_path(join_path(path, "user.additionalGids"), i), UINT32_MAX)));
  policy.process.supplementary_groups = out.additional_gids;
  if (const json* umask = rd.member(*user, join_path(path, "user"), "umask"))
    report.push_back("process.user.umask " +
                     std::to_string(rd.uint64(*umask, join_path(path, "user.umask"), 0777)) +
                     ": not applied (the command starts with policyrun's umask)");

  const json* caps = rd.member(p, path, "capabilities");
  policy.capabilities = caps ? read_capabilities(rd, *caps, join_path(path, "capabilities"), report)
                             : ir::CapabilitySets{};
  report.push_back("capabilities from the config: bounding " +
                   caps::status_hex(policy.capabilities.bounding) + ", effective " +
                   caps::status_hex(policy.capabilities.effective) + ", ambient " +
                   caps::status_hex(policy.capabilities.ambient));
  policy.process.rlimits.clear();
  if (const json* r = rd.member(p, path, "rlimits"))
    policy.process.rlimits = read_rlimits(rd, *r, join_path(path, "rlimits"));
  policy.process.no_new_privileges = false;  // the spec's default
  if (const json* nnp = rd.member(p, path, "noNewPrivileges"))
    policy.process.no_new_privileges = rd.boolean(*nnp, join_path(path, "noNewPrivileges"));

  apparmor_profile.clear();
  if (const json* aa = rd.member(p, path, "apparmorProfile")) {
    const std::string name = rd.string(*aa, join_path(path, "apparmorProfile"));
    if (!name.empty() && launch::kernel_has_apparmor())
      // The launch enters only the profile it generates from a policy: a host profile by name
      // would be a protection asked for and not given.
      rd.fail(join_path(path, "apparmorProfile"),
              "'" + name +
                  "': policyrun cannot enter a host AppArmor profile by name; remove it and "
                  "attach a policy (annotation " +
                  std::string(kPolicyAnnotation) +
                  ") whose filesystem section policyrun turns into a profile");
    if (!name.empty())
      report.push_back("process.apparmorProfile '" + name +
                       "': not applied: " + launch::apparmor_unavailable_reason());
  }
  if (const json* label = rd.member(p, path, "selinuxLabel"))
    if (!rd.string(*label, join_path(path, "selinuxLabel")).empty())
      report.push_back("process.selinuxLabel: not applied (policyrun has no SELinux support)");
  if (const json* oom = rd.member(p, path, "oomScoreAdj"))
    report.push_back("process.oomScoreAdj " +
                     std::to_string(rd.int64(*oom, join_path(path, "oomScoreAdj"))) +
                     ": not applied (the container keeps policyrun's)");
  for (const char* key : {"consoleSize", "ioPriority", "scheduler", "execCPUAffinity"})
    if (rd.member(p, path, key))
      report.push_back(join_path(path, key) + ": not applied (policyrun has no such setting)");
}

// ---- linux.namespaces, id maps ----------------------------------------------------------------

void read_namespaces(const JsonReader& rd, const json& linux, ir::NamespacePlan& plan,
                     std::vector<std::string>& report) {
  if (const json* list = rd.member(linux, "linux", "namespaces")) {
    for (size_t i = 0; i < rd.array(*list, "linux.namespaces").size(); ++i) {
      const std::string where = index_path("linux.namespaces", i);
      const json* type = rd.member((*list)[i], where, "type");
      if (!type) rd.fail(where, "needs a type");
      const std::string name = rd.string(*type, join_path(where, "type"));
      // The spec says "network" and "mount"; the IR's names are the policy language's.
      auto kind = ir::namespace_kind(name == "network" ? "net" : name);
      if (!kind || name == "net" || name == "mnt")
        rd.fail(join_path(where, "type"),
                frontend::unknown_message(
                    "namespace", name,
                    {"mount", "pid", "network", "uts", "ipc", "user", "cgroup", "time"}));
      if (plan.has(*kind)) rd.fail(join_path(where, "type"), "namespace '" + name + "' repeated");
      ir::NamespaceSpec spec{*kind, "", {}, ""};
      if (const json* p = rd.member((*list)[i], where, "path")) {
        spec.join_path = rd.absolute_path(*p, join_path(where, "path"));
        if (*kind == ir::NamespaceKind::Mount || *kind == ir::NamespaceKind::User)
          rd.fail(join_path(where, "path"),
                  "joining an existing " + name +
                      " namespace is not supported by policyrun (it builds the root in one of "
                      "its own); remove the path");
        struct stat st {};
        if (::stat(spec.join_path.c_str(), &st) != 0)
          throw sys_error(rd.file() + ": " + join_path(where, "path") + ": the namespace to join",
                          spec.join_path);
      }
      plan.namespaces.push_back(spec);
      report.push_back(std::string("namespace ") + ir::namespace_name(*kind) + ": " +
                       (spec.join_path.empty() ? "new" : "joins " + spec.join_path) +
                       " (from the config)");
    }
  }
  if (!plan.has(ir::NamespaceKind::Mount)) {
    plan.namespaces.push_back({ir::NamespaceKind::Mount, "", {}, ""});
    report.push_back(
        "namespace mount: new, though the config lists none (the launch builds "
        "the root in a mount namespace of its own)");
  }
  for (const char* key : {"uidMappings", "gidMappings"}) {
    const json* maps = rd.member(linux, "linux", key);
    if (!maps) continue;
    const std::string path = join_path("linux", key);
    auto& out = std::string(key) == "uidMappings" ? plan.uid_map : plan.gid_map;
    for (size_t i = 0; i < rd.array(*maps, path).size(); ++i) {
      const std::string where = index_path(path, i);
      const json* c = rd.member((*maps)[i], where, "containerID");
      const json* h = rd.member((*maps)[i], where, "hostID");
      const json* s = rd.member((*maps)[i], where, "size");
      if (!c || !h || !s) rd.fail(where, "needs containerID, hostID and size");
      out.push_back(
          {static_cast<uint32_t>(rd.uint64(*c, join_path(where, "containerID"), UINT32_MAX)),
           static_cast<uint32_t>(rd.uint64(*h, join_path(where, "hostID"), UINT32_MAX)),
           static_cast<uint32_t>(rd.uint64(*s, join_path(where, "size"), UINT32_MAX))});
    }
    if (!out.empty() && !plan.has(ir::NamespaceKind::User))
      rd.fail(path, "id mappings need a user namespace in linux.namespaces");
  }
}

// ---- linux.resources --------------------------------------------------------------------------

ir::DeviceRule read_device_rule(const JsonReader& rd, const json& d, const std::string& where) {
  ir::DeviceRule r;
  if (const json* t = rd.member(d, where, "type")) {
    const std::string type = rd.string(*t, join_path(where, "type"));
    if (type != "a" && type != "c" && type != "b")
      rd.fail(join_path(where, "type"), "'" + type + "' must be a, c or b");
    r.type = static_cast<ir::DeviceRule::Type>(type[0]);
  }
  for (const auto& [key, slot] : {std::pair{"major", &r.major}, std::pair{"minor", &r.minor}})
    if (const json* n = rd.member(d, where, key)) {
      const int64_t v = rd.int64(*n, join_path(where, key));
      if (v < -1 || v > UINT32_MAX) rd.fail(join_path(where, key), "must be -1 (any) or 0..2^32-1");
      *slot = v;
    }
  std::string access = "rwm";
  if (const json* a = rd.member(d, where, "access"))
    access = rd.string(*a, join_path(where, "access"));
  if (access.empty()) access = "rwm";
  for (char c : access) {
    if (c == 'r')
      r.access |= ir::DeviceRule::Read;
    else if (c == 'w')
      r.access |= ir::DeviceRule::Write;
    else if (c == 'm')
      r.access |= ir::DeviceRule::Mknod;
    else
      rd.fail(join_path(where, "access"), "'" + access + "' must be letters of rwm");
  }
  if (r.type == ir::DeviceRule::All) r.major = r.minor = -1;  // 'a' is every device
  return r;
}

// Whether rule `outer` covers every device `inner` names.
bool covers(const ir::DeviceRule& outer, const ir::DeviceRule& inner) {
  return (outer.type == ir::DeviceRule::All || outer.type == inner.type) &&
         (outer.major < 0 || outer.major == inner.major) &&
         (outer.minor < 0 || outer.minor == inner.minor);
}

// Whether some device is named by both rules.
bool overlap(const ir::DeviceRule& a, const ir::DeviceRule& b) {
  auto meet = [](int64_t x, int64_t y) { return x < 0 || y < 0 || x == y; };
  return (a.type == ir::DeviceRule::All || b.type == ir::DeviceRule::All || a.type == b.type) &&
         meet(a.major, b.major) && meet(a.minor, b.minor);
}

// runc's reading of the ordered allow/deny list as the IR's allowlist. The list must start by
// refusing every device (containerd, Docker and `runc spec` write it so); a list that does not is
// read from the project's default allowlist instead of runc's "everything" (never wider), and
// said. runc adds the standard nodes (/dev/null, ...) whatever the list says; so does this.
ir::DevicePlan read_devices(const JsonReader& rd, const json& list, const std::string& path,
                            std::vector<std::string>& report) {
  ir::DevicePlan plan;
  plan.specified = true;
  plan.rules.clear();
  bool allowlist = false;
  for (size_t i = 0; i < rd.array(list, path).size(); ++i) {
    const std::string where = index_path(path, i);
    const json* allow = rd.member(list[i], where, "allow");
    if (!allow) rd.fail(where, "needs allow (true or false)");
    ir::DeviceRule r = read_device_rule(rd, list[i], where);
    if (rd.boolean(*allow, join_path(where, "allow"))) {
      if (!allowlist && i == 0) {
        plan.rules = ir::default_device_rules();
        allowlist = true;
        report.push_back(path +
                         " does not start by refusing every device: read from the "
                         "default allowlist (runc would allow every device)");
      }
      plan.rules.push_back(r);
      continue;
    }
    if (r.type == ir::DeviceRule::All && r.access == 7) {  // refuse everything
      plan.rules.clear();
      allowlist = true;
      continue;
    }
    if (!allowlist) {
      plan.rules = ir::default_device_rules();
      allowlist = true;
      report.push_back(path +
                       " does not start by refusing every device: read from the "
                       "default allowlist (runc would allow every device)");
    }
    for (auto it = plan.rules.begin(); it != plan.rules.end();) {
      if (covers(r, *it)) {
        it->access &= ~r.access;
      } else if (overlap(*it, r) && (it->access & r.access)) {
        rd.fail(where,
                "a refusal narrower than an earlier allow (e.g. allow c *:* then deny "
                "c 1:3) cannot be expressed as an allowlist; list the devices to allow");
      }
      it = it->access ? it + 1 : plan.rules.erase(it);
    }
  }
  for (const ir::DeviceRule& std_rule : ir::default_device_rules()) {
    bool present = false;
    for (const ir::DeviceRule& r : plan.rules)
      present |= covers(r, std_rule) && (r.access & std_rule.access) == std_rule.access;
    if (!present) plan.rules.push_back(std_rule);
  }
  report.push_back(path + ": " + std::to_string(plan.rules.size()) +
                   " allow rules (with the standard nodes runc adds); every other device is "
                   "refused");
  return plan;
}

// A limit where 0 and below mean none: -1 is the spec's "unlimited", and 0 is what Docker writes
// for a limit it was not given (runc reads both as unset; a memory limit of 0 bytes would kill).
std::optional<uint64_t> limit(const JsonReader& rd, const json* j, const std::string& path) {
  if (!j) return std::nullopt;
  const int64_t v = rd.int64(*j, path);
  if (v < -1) rd.fail(path, "must be -1 (no limit) or a non-negative number");
  if (v <= 0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

// Whether a setting asks for something: present and not 0, false or empty (Docker writes the
// zero value of settings it was not given).
bool asks(const json* j) {
  return j && !(j->is_number() && *j == 0) && !(j->is_boolean() && !j->get<bool>()) &&
         !((j->is_object() || j->is_array()) && j->empty()) &&
         !(j->is_string() && j->get_ref<const std::string&>().empty());
}

void read_resources(const JsonReader& rd, const json& res, ir::ResourceLimits& out,
                    std::vector<std::string>& report) {
  const std::string path = "linux.resources";
  rd.object(res, path);
  if (const json* mem = rd.member(res, path, "memory")) {
    out.memory_bytes =
        limit(rd, rd.member(*mem, path + ".memory", "limit"), path + ".memory.limit");
    out.memory_swap_bytes =
        limit(rd, rd.member(*mem, path + ".memory", "swap"), path + ".memory.swap");
    if (out.memory_swap_bytes && out.memory_bytes && *out.memory_swap_bytes < *out.memory_bytes)
      rd.fail(path + ".memory.swap", "(memory + swap) must be at least memory.limit");
    for (const char* key : {"reservation", "kernel", "kernelTCP", "swappiness", "disableOOMKiller",
                            "useHierarchy", "checkBeforeUpdate"})
      if (asks(rd.member(*mem, path + ".memory", key)))
        report.push_back(path + ".memory." + key + ": not applied (policyrun has no such knob)");
  }
  if (const json* cpu = rd.member(res, path, "cpu")) {
    const std::string where = path + ".cpu";
    if (const json* s = rd.member(*cpu, where, "shares"))  // 0: unset, as runc reads it
      if (uint64_t shares = rd.uint64(*s, where + ".shares", 262144)) out.cpu_shares = shares;
    if (const json* q = rd.member(*cpu, where, "quota")) {
      const int64_t v = rd.int64(*q, where + ".quota");
      if (v > 0) out.cpu_quota_us = v;
    }
    if (const json* p = rd.member(*cpu, where, "period"))
      if (uint64_t period = rd.uint64(*p, where + ".period")) out.cpu_period_us = period;
    if (out.cpu_quota_us && !out.cpu_period_us) out.cpu_period_us = 100000;
    if (const json* c = rd.member(*cpu, where, "cpus")) {
      std::string cpus = rd.string(*c, where + ".cpus");
      if (!cpus.empty()) out.cpuset_cpus = cpus;
    }
    if (const json* m = rd.member(*cpu, where, "mems")) {
      std::string mems = rd.string(*m, where + ".mems");
      if (!mems.empty()) out.cpuset_mems = mems;
    }
    for (const char* key : {"realtimeRuntime", "realtimePeriod", "burst", "idle"})
      if (asks(rd.member(*cpu, where, key)))
        report.push_back(where + "." + key + ": not applied (policyrun has no such knob)");
  }
  if (const json* pids = rd.member(res, path, "pids"))
    if (const json* l = rd.member(*pids, path + ".pids", "limit"))
      out.pids = limit(rd, l, path + ".pids.limit");
  if (const json* dev = rd.member(res, path, "devices"))
    out.devices = read_devices(rd, *dev, path + ".devices", report);
  for (const char* key : {"blockIO", "hugepageLimits", "network", "rdma", "unified"})
    if (asks(rd.member(res, path, key)))
      report.push_back(path + "." + key + ": not applied (policyrun has no such knob)");
}

// ---- mounts -----------------------------------------------------------------------------------

// The mounts the launch makes itself, and how (runtime/launch/mounts.cpp).
struct StandardMount {
  const char* destination;
  const char* how;
  std::set<std::string> options;
};
const std::vector<StandardMount>& standard_mounts() {
  static const std::vector<StandardMount> table = {
      {"/proc", "fresh proc", {"nosuid", "nodev", "noexec"}},
      {"/dev", "tmpfs with the standard nodes", {"nosuid", "noexec", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts, its own instance",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", {"nosuid", "nodev", "noexec", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue (with an ipc namespace)", {"nosuid", "nodev", "noexec"}},
      {"/sys", "sysfs, read-only", {"ro", "nosuid", "nodev", "noexec"}},
      {"/sys/fs/cgroup", "the container's cgroups, read-only", {"ro", "nosuid", "nodev", "noexec"}},
  };
  return table;
}

// Options whose meaning is the mount's kind, not a setting.
bool is_kind_word(const std::string& o) {
  return o == "bind" || o == "rbind";
}
bool is_propagation(const std::string& o) {
  static const std::set<std::string> words = {"private", "rprivate", "slave",      "rslave",
                                              "shared",  "rshared",  "unbindable", "runbindable"};
  return words.count(o) > 0;
}
bool is_flag_option(const std::string& o) {
  static const std::set<std::string> flags = {"ro",      "rw",       "nosuid",      "suid",
                                              "nodev",   "dev",      "noexec",      "exec",
                                              "noatime", "relatime", "strictatime", "atime"};
  return flags.count(o) > 0;
}
bool is_tmpfs_data(const std::string& o) {
  for (const char* prefix : {"size=", "mode=", "nr_inodes=", "nr_blocks=", "uid=", "gid="})
    if (o.rfind(prefix, 0) == 0) return true;
  return false;
}

void read_mounts(const JsonReader& rd, const json& list, const std::string& bundle,
                 const ir::NamespacePlan& namespaces, ir::RootfsPlan& rootfs,
                 std::vector<std::string>& report) {
  for (size_t i = 0; i < rd.array(list, "mounts").size(); ++i) {
    const std::string where = index_path("mounts", i);
    const json& m = list[i];
    const json* dest = rd.member(m, where, "destination");
    if (!dest) rd.fail(where, "needs a destination");
    std::string target = rd.absolute_path(*dest, join_path(where, "destination"));
    while (target.size() > 1 && target.back() == '/') target.pop_back();
    std::string type;
    if (const json* t = rd.member(m, where, "type")) type = rd.string(*t, join_path(where, "type"));
    std::string source;
    if (const json* s = rd.member(m, where, "source"))
      source = rd.string(*s, join_path(where, "source"));
    std::vector<std::string> options;
    if (const json* o = rd.member(m, where, "options"))
      options = rd.strings(*o, join_path(where, "options"));
    bool bind = type == "bind" || type == "rbind";
    for (const auto& o : options) bind |= is_kind_word(o);

    auto standard = std::find_if(standard_mounts().begin(), standard_mounts().end(),
                                 [&](const StandardMount& s) { return target == s.destination; });
    if (standard != standard_mounts().end()) {
      std::vector<std::string> ignored;
      for (const auto& o : options)
        if (!standard->options.count(o) && !is_kind_word(o)) ignored.push_back(o);
      std::string line = where + " " + target + ": made by the launch (" + standard->how + "; " +
                         joined({standard->options.begin(), standard->options.end()}, ",") + ")";
      if (bind) line += "; the config's bind of " + source + " is not used";
      if (!ignored.empty()) line += "; not applied from the config: " + joined(ignored, ",");
      if (target == "/dev/mqueue" && !namespaces.has(ir::NamespaceKind::Ipc))
        line += "; not mounted: the config shares the host's ipc namespace";
      report.push_back(line);
      continue;
    }

    ir::MountSpec spec;
    spec.target = target;
    if (bind) {
      spec.kind = ir::MountSpec::Bind;
      if (source.empty()) rd.fail(join_path(where, "source"), "a bind mount needs a source");
      // The spec: relative sources are relative to the bundle.
      spec.source = source[0] == '/' ? source : bundle + "/" + source;
      struct stat st {};
      if (::stat(spec.source.c_str(), &st) != 0)
        throw sys_error(rd.file() + ": " + join_path(where, "source") + ": the bind mount's source",
                        spec.source);
    } else if (type == "tmpfs") {
      spec.kind = ir::MountSpec::Tmpfs;
    } else if (type == "proc") {
      spec.kind = ir::MountSpec::Proc;
    } else if (type == "sysfs") {
      spec.kind = ir::MountSpec::Sysfs;
    } else if (type == "devpts") {
      spec.kind = ir::MountSpec::Devpts;
    } else if (type == "mqueue") {
      spec.kind = ir::MountSpec::Mqueue;
    } else {
      rd.fail(join_path(where, "type"),
              "mount type '" + type + "' at " + target +
                  " is not supported (policyrun mounts bind, tmpfs, proc, sysfs, devpts and "
                  "mqueue); remove the mount or make it a bind of a host directory");
    }
    std::vector<std::string> not_applied;
    for (size_t j = 0; j < options.size(); ++j) {
      const std::string& o = options[j];
      if (is_propagation(o)) {
        not_applied.push_back(o);
      } else if (is_flag_option(o) || (bind && is_kind_word(o))) {
        if (o != "atime") spec.options.push_back(o);
      } else if (!bind &&
                 (spec.kind == ir::MountSpec::Tmpfs || spec.kind == ir::MountSpec::Devpts ||
                  spec.kind == ir::MountSpec::Mqueue) &&
                 (is_tmpfs_data(o) || o.rfind("ptmxmode=", 0) == 0 || o == "newinstance")) {
        if (o != "newinstance") spec.options.push_back(o);
      } else {
        rd.fail(index_path(join_path(where, "options"), j),
                "mount option '" + o + "' is not supported for a " +
                    (bind ? std::string("bind") : type) + " mount");
      }
    }
    std::string line = where + " " + target + ": " + ir::mount_kind_name(spec.kind) +
                       (bind ? " of " + spec.source : "") +
                       (spec.options.empty() ? "" : " (" + joined(spec.options, ",") + ")");
    if (bind) line += "; nosuid,nodev added by the launch";
    if (!not_applied.empty())
      line += "; propagation " + joined(not_applied, ",") +
              " not applied (the container's mounts are private to it)";
    report.push_back(line);
    rootfs.mounts.push_back(std::move(spec));
  }
}

// ---- linux.devices ----------------------------------------------------------------------------

// The nodes the launch creates in /dev itself (mounts.cpp mount_dev, devpts' ptmx).
bool standard_device(const std::string& path) {
  static const std::set<std::string> nodes = {"/dev/null",    "/dev/zero",    "/dev/full",
                                              "/dev/random",  "/dev/urandom", "/dev/tty",
                                              "/dev/console", "/dev/ptmx"};
  return nodes.count(path) > 0;
}

void read_linux_devices(const JsonReader& rd, const json& list, std::vector<std::string>& report) {
  for (size_t i = 0; i < rd.array(list, "linux.devices").size(); ++i) {
    const std::string where = index_path("linux.devices", i);
    const json* p = rd.member(list[i], where, "path");
    if (!p) rd.fail(where, "needs a path");
    const std::string path = rd.absolute_path(*p, join_path(where, "path"));
    if (!standard_device(path))
      rd.fail(join_path(where, "path"),
              "device node " + path +
                  " cannot be created: policyrun makes only the standard nodes of /dev (null, "
                  "zero, full, random, urandom, tty, console, ptmx); bind-mount the host's node "
                  "instead (mounts, with a devices rule allowing it)");
    report.push_back(where + " " + path + ": made by the launch (as the host's node)");
  }
}

// ---- linux.seccomp ----------------------------------------------------------------------------

seccomp::Program read_seccomp(const JsonReader& rd, const json& sec, uint64_t bounding,
                              ir::SeccompPolicy& out, std::vector<std::string>& report) {
  const std::string path = "linux.seccomp";
  rd.object(sec, path);
  for (const char* key : {"listenerPath", "listenerMetadata"})
    if (const json* l = rd.member(sec, path, key);
        l && !rd.string(*l, join_path(path, key)).empty())
      rd.fail(join_path(path, key),
              "a seccomp agent (SCMP_ACT_NOTIFY to a listener) is not supported by policyrun");
  if (const json* flags = rd.member(sec, path, "flags"))
    for (const auto& f : rd.strings(*flags, join_path(path, "flags")))
      report.push_back(path + ".flags " + f +
                       ": not applied (policyrun installs its filters with its own flags)");
  importer::JsonImportOptions options;
  options.capabilities = bounding;
  options.file_name = rd.file() + ": " + path;
  DiagnosticEngine diags;
  out = importer::seccomp_from_json(sec, options, diags);
  std::string errors;
  for (const Diagnostic& d : diags.diagnostics()) {
    if (d.severity == Severity::Error)
      errors += (errors.empty() ? "" : "; ") + d.message;
    else if (d.severity == Severity::Warning)
      report.push_back(path + ": " + d.message);
  }
  if (diags.has_errors()) rd.fail(path, errors);
  auto notifies = [](const ir::Action& a) { return a.kind == ir::ActionKind::UserNotify; };
  bool notify = notifies(out.default_action);
  for (const auto& r : out.rules) notify |= notifies(r.action);
  if (notify)
    rd.fail(path, "SCMP_ACT_NOTIFY needs a seccomp agent, which policyrun does not support");
  seccomp::Program program = driver::compile_seccomp(out, {});
  report.push_back(path + ": " + std::to_string(out.rules.size()) +
                   " rules compiled for this host by policyrun's generator (" +
                   std::to_string(program.size()) + " instructions)");
  return program;
}

// ---- linux.sysctl -----------------------------------------------------------------------------

// Whether `path` is a namespace of this process's own (the host's, for policyrun).
bool is_own_namespace(const std::string& path, ir::NamespaceKind kind) {
  struct stat joined {
  }, own{};
  const std::string self = std::string("/proc/self/ns/") + ir::namespace_proc_name(kind);
  return ::stat(path.c_str(), &joined) == 0 && ::stat(self.c_str(), &own) == 0 &&
         joined.st_dev == own.st_dev && joined.st_ino == own.st_ino;
}

// Only namespaced sysctls, each in a namespace of the container's own (the front end's rule,
// frontend::check_sysctls): a joined namespace counts when it is not policyrun's own, as
// containerd's CNI namespaces are not. Anything else would change the host's setting.
void check_sysctls(const JsonReader& rd, const ir::Policy& policy) {
  ir::Policy probe;
  probe.namespaces = policy.namespaces;
  for (auto& n : probe.namespaces.namespaces)
    if (!n.join_path.empty() && !is_own_namespace(n.join_path, n.kind)) n.join_path.clear();
  for (const ir::Sysctl& s : policy.sysctls) {
    ir::Sysctl named = s;
    if (!named.loc.known()) named.loc.file = "linux.sysctl." + s.key;  // where to point
    probe.sysctls.push_back(named);
  }
  DiagnosticEngine diags;
  frontend::check_sysctls(probe, diags);
  for (const Diagnostic& d : diags.diagnostics())
    if (d.severity == Severity::Error)
      rd.fail(d.loc.known() ? "annotations." + std::string(kPolicyAnnotation) + ": " + d.loc.str()
                            : d.loc.file,
              d.message);
}

// ---- the whole config -------------------------------------------------------------------------

std::string read_config_text(const std::string& file) {
  runtime::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) throw sys_error("open the bundle's config", file);
  return runtime::read_fd(fd.get(), file, kMaxConfigBytes);
}

json parse_json(const std::string& text, const std::string& file) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {  // the position of the problem, with the file's name
    throw Error(file + ": not valid JSON: " + e.what());
  }
  if (!root.is_object()) throw Error(file + ": must be a JSON object");
  return root;
}

void read_linux(const JsonReader& rd, const json& linux, ContainerConfig& c) {
  ir::Policy& p = *c.policy;
  read_namespaces(rd, linux, p.namespaces, c.report);
  if (const json* res = rd.member(linux, "linux", "resources"))
    read_resources(rd, *res, p.resources, c.report);
  if (!p.resources.devices.specified)
    c.report.push_back("linux.resources.devices: none in the config: the default allowlist (" +
                       std::to_string(p.resources.devices.rules.size()) +
                       " rules; runc would allow every device)");
  if (const json* m = rd.member(linux, "linux", "maskedPaths"))
    for (size_t i = 0; i < rd.array(*m, "linux.maskedPaths").size(); ++i)
      p.rootfs.masked_paths.push_back(
          rd.absolute_path((*m)[i], index_path("linux.maskedPaths", i)));
  if (const json* r = rd.member(linux, "linux", "readonlyPaths"))
    for (size_t i = 0; i < rd.array(*r, "linux.readonlyPaths").size(); ++i)
      p.rootfs.readonly_paths.push_back(
          rd.absolute_path((*r)[i], index_path("linux.readonlyPaths", i)));
  if (const json* s = rd.member(linux, "linux", "sysctl"))
    for (const auto& [key, value] : rd.object(*s, "linux.sysctl").items())
      p.sysctls.push_back({key, rd.string(value, "linux.sysctl." + key), {}});
  if (const json* prop = rd.member(linux, "linux", "rootfsPropagation"))
    c.report.push_back("linux.rootfsPropagation " + rd.string(*prop, "linux.rootfsPropagation") +
                       ": not applied (the container's root is private to its mount namespace)");
  if (const json* cg = rd.member(linux, "linux", "cgroupsPath"))
    c.report.push_back("linux.cgroupsPath " + rd.string(*cg, "linux.cgroupsPath") +
                       ": not used (the container's cgroup is policyrun/<id>)");
  if (const json* d = rd.member(linux, "linux", "devices")) read_linux_devices(rd, *d, c.report);
  if (const json* sec = rd.member(linux, "linux", "seccomp")) {
    c.filters.push_back(read_seccomp(rd, *sec, p.capabilities.bounding, p.seccomp, c.report));
  } else {
    p.seccomp.default_action = {ir::ActionKind::Allow, 0};  // the IR says what runs: no filter
    c.report.push_back("linux.seccomp: none in the config (no seccomp filter from it)");
  }
  for (const char* key : {"personality", "timeOffsets"})
    if (rd.member(linux, "linux", key))
      rd.fail(join_path("linux", key), "is not supported by policyrun; remove it");
  for (const char* key : {"mountLabel", "intelRdt", "memoryPolicy", "netDevices"})
    if (rd.member(linux, "linux", key))
      c.report.push_back(join_path("linux", key) + ": not applied (policyrun has no such setting)");
}

}  // namespace

ContainerConfig load_bundle(const std::string& bundle_dir) {
  ContainerConfig c;
  std::error_code ec;
  c.bundle = std::filesystem::absolute(bundle_dir, ec).lexically_normal().string();
  if (ec || bundle_dir.empty())
    throw Error("the bundle directory '" + bundle_dir +
                "': " + (ec ? ec.message() : std::string("empty path")));
  while (c.bundle.size() > 1 && c.bundle.back() == '/') c.bundle.pop_back();
  const std::string file = c.bundle + "/config.json";
  const JsonReader rd(file);
  const json root = parse_json(read_config_text(file), file);
  check_version(rd, root);
  c.policy = std::make_unique<ir::Policy>();
  ir::Policy& p = *c.policy;
  p.name = "oci-config";

  const json* r = rd.member(root, "", "root");
  if (!r) rd.fail("root", "missing (the bundle's root filesystem)");
  const json* rp = rd.member(*r, "root", "path");
  if (!rp) rd.fail("root.path", "missing");
  const std::string rootfs = rd.string(*rp, "root.path");
  if (rootfs.empty()) rd.fail("root.path", "is empty");
  c.rootfs = std::filesystem::path(rootfs[0] == '/' ? rootfs : c.bundle + "/" + rootfs)
                 .lexically_normal()
                 .string();
  struct stat st {};
  if (::stat(c.rootfs.c_str(), &st) != 0)
    throw sys_error(file + ": root.path: the root filesystem", c.rootfs);
  if (!S_ISDIR(st.st_mode)) rd.fail("root.path", c.rootfs + " is not a directory");
  if (const json* ro = rd.member(*r, "root", "readonly"))
    c.rootfs_readonly = rd.boolean(*ro, "root.readonly");
  p.rootfs.readonly = c.rootfs_readonly;
  c.report.push_back("root " + c.rootfs + (c.rootfs_readonly ? " read-only" : " writable") +
                     " (from the config)");

  if (const json* a = rd.member(root, "", "annotations"))
    for (const auto& [key, value] : rd.object(*a, "annotations").items())
      c.annotations[key] = rd.string(value, "annotations." + key);

  const json* proc = rd.member(root, "", "process");
  if (!proc) rd.fail("process", "missing (the command the container runs)");
  read_process(rd, *proc, "process", c.process, p, c.apparmor_profile, c.report);

  const json* linux = rd.member(root, "", "linux");
  if (!linux) rd.fail("linux", "missing (policyrun runs Linux containers)");
  read_linux(rd, *linux, c);

  if (const json* h = rd.member(root, "", "hostname")) {
    std::string name = rd.string(*h, "hostname");
    if (!name.empty()) {
      if (!p.namespaces.has(ir::NamespaceKind::Uts))
        rd.fail("hostname", "setting a hostname needs a uts namespace in linux.namespaces");
      p.process.hostname = name;
    }
  }
  if (const json* d = rd.member(root, "", "domainname"))
    if (!rd.string(*d, "domainname").empty())
      c.report.push_back("domainname: not applied (policyrun sets the hostname only)");
  if (const json* m = rd.member(root, "", "mounts"))
    read_mounts(rd, *m, c.bundle, p.namespaces, p.rootfs, c.report);
  if (const json* hooks = rd.member(root, "", "hooks"))
    for (const auto& [kind, list] : rd.object(*hooks, "hooks").items())
      if (!rd.array(list, "hooks." + kind).empty())
        rd.fail("hooks." + kind,
                "hooks are not supported by policyrun (its features list none); remove them");

  apply_annotation_policy(c);
  check_sysctls(rd, p);
  return c;
}

ExecConfig load_process(const nlohmann::json& process, const std::string& file_name,
                        const ContainerConfig& container) {
  if (!container.policy) throw Error(file_name + ": the container has no configuration");
  const JsonReader rd(file_name);
  ExecConfig e;
  e.policy = std::make_unique<ir::Policy>(*container.policy);
  std::string apparmor;
  std::vector<std::string> report;
  read_process(rd, process, "", e.process, *e.policy, apparmor, report);
  // The annotation's policy narrows the exec'd process as it narrowed the container. A container
  // whose config was stored and read back (the runtime's state) has the annotation but not the
  // compiled policy: its own confinement, already within the policy, narrows instead.
  if (container.annotation_policy)
    narrow_process(*e.policy, *container.annotation_policy, report);
  else if (container.annotations.count(kPolicyAnnotation))
    narrow_process(*e.policy, *container.policy, report);
  return e;
}

}  // namespace policy::oci
