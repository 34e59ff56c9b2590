#include "runtime/cli/docker_flags.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "compiler/common/diagnostics.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/resolve.hpp"
#include "compiler/importer/seccomp_json.hpp"
#include "runtime/common/text.hpp"

namespace po = boost::program_options;

namespace policy::cli {
namespace {

using ir::Policy;

// ---- the flags policyrun does not take, and what to write instead ----

struct Unsupported {
  const char* flag;
  const char* instead;
};

const Unsupported kUnsupported[] = {
    {"--device",
     "policyrun builds the container's /dev itself and passes no host device in; the policy's "
     "`devices { allow c MAJOR:MINOR rwm }` only decides what the device cgroup allows"},
    {"--device-cgroup-rule", "write `devices { allow c MAJOR:MINOR rwm }` in the policy"},
    {"--gpus", "no equivalent: policyrun passes no host device in"},
    {"--sysctl", "write `sysctl { net.ipv4.ip_forward 1 }` in the policy"},
    {"--add-host", "no equivalent: policyrun writes the container's /etc/hosts itself"},
    {"--dns", "no equivalent: the container's /etc/resolv.conf is the host's (or pasta's)"},
    {"--dns-search", "no equivalent: the container's /etc/resolv.conf is the host's"},
    {"--dns-option", "no equivalent: the container's /etc/resolv.conf is the host's"},
    {"--cgroup-parent", "no equivalent: a container's cgroup is always policyrun/NAME"},
    {"--cgroupns", "write `namespaces { cgroup }` in the policy (or leave cgroup out: the host's)"},
    {"--oom-kill-disable", "no equivalent: the memory limit always ends in the OOM killer"},
    {"--userns", "write `namespaces { user; uidmap 0 100000 65536; gidmap 0 100000 65536 }`"},
    {"--isolation", "no equivalent (a Windows option)"},
    {"--restart", "no equivalent: policyrun has no daemon to restart a container"},
    {"--link", "use --network container:NAME (the containers then share one network)"},
    {"--volumes-from", "no equivalent: give the same -v HOSTDIR:DST again"},
    {"--cpuset-cpus", "write `resources { cpuset.cpus \"0-1\" }` in the policy"},
    {"--cpuset-mems", "write `resources { cpuset.mems \"0\" }` in the policy"},
    {"--cpu-quota", "use --cpus, or write `resources { cpu.quota 50ms/100ms }` in the policy"},
    {"--cpu-period", "use --cpus, or write `resources { cpu.quota 50ms/100ms }` in the policy"},
    {"--memory-reservation", "no equivalent: only hard limits (--memory)"},
    {"--kernel-memory", "no equivalent: kernel memory is charged to --memory"},
    {"--memory-swappiness", "no equivalent"},
    {"--blkio-weight", "no equivalent: policyrun sets no I/O limits"},
    {"--device-read-bps", "no equivalent: policyrun sets no I/O limits"},
    {"--device-write-bps", "no equivalent: policyrun sets no I/O limits"},
    {"--shm-size", "write `rootfs { tmpfs /dev/shm size=64M }` in the policy"},
    {"--domainname", "write `sysctl { kernel.domainname \"example.org\" }` in the policy"},
    {"--group-add", "write `process { groups 10, 20 }` in the policy"},
    {"--mac-address", "no equivalent"},
    {"--ip", "no equivalent: a private network's address is pasta's"},
    {"--ip6", "no equivalent: a private network's address is pasta's"},
    {"--expose", "no equivalent: publish with -p HOSTPORT:CONTAINERPORT"},
    {"--runtime", "no equivalent: policyrun is the runtime"},
    {"--platform", "no equivalent: the image is run as it is"},
    {"--pull", "no equivalent: policyrun runs local images (docker save tarballs, OCI layouts)"},
    {"--log-driver", "no equivalent: `policyrun logs` reads a detached container's output"},
    {"--log-opt", "no equivalent: `policyrun logs` reads a detached container's output"},
    {"--label", "no equivalent"},
    {"--stop-signal", "no equivalent: `policyrun stop` sends SIGTERM, then SIGKILL"},
    {"--stop-timeout", "use `policyrun stop -t SECONDS`"},
    {"--health-cmd", "no equivalent"},
    {"--cidfile", "no equivalent: give the container a --name"},
};

// ---- Docker's value syntax ----

[[noreturn]] void bad(const std::string& flag, const std::string& value, const std::string& want) {
  throw Error(flag + " " + value + ": " + want);
}

// Docker's RAMInBytes: 64m, 1.5g, 512k, 100b, 64MiB, 64mb (binary units, any case).
uint64_t ram_bytes(const std::string& flag, const std::string& value) {
  size_t i = 0;
  while (i < value.size() &&
         (std::isdigit(static_cast<unsigned char>(value[i])) || value[i] == '.'))
    ++i;
  std::string unit = value.substr(i);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  static const std::string kUnits = "bkmgtp";
  int power = 0;
  if (!unit.empty() && kUnits.find(unit[0]) != std::string::npos) {
    power = static_cast<int>(kUnits.find(unit[0]));
    unit.erase(0, 1);
    if (!unit.empty() && unit[0] == 'i') unit.erase(0, 1);
    if (!unit.empty() && unit[0] == 'b' && power > 0) unit.erase(0, 1);
  }
  char* end = nullptr;
  const std::string number = value.substr(0, i);
  const double v = number.empty() ? -1 : std::strtod(number.c_str(), &end);
  const double bytes = v * std::pow(1024.0, power);
  if (v < 0 || !unit.empty() || *end != '\0' || bytes >= 1.8e19)
    bad(flag, value, "a size such as 64m, 1.5g or 512k is expected (units b, k, m, g, t, p)");
  return static_cast<uint64_t>(bytes);
}

int64_t integer(const std::string& flag, const std::string& value) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno == ERANGE) bad(flag, value, "an integer is expected");
  return v;
}

std::string human(uint64_t bytes) {
  static const char* const kUnits[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (u < 4 && bytes >= 1024 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + kUnits[u];
}

// " (web.pol:79:3)" or "".
std::string at(const SourceLoc& loc) {
  return loc.known() ? " (" + loc.str() + ")" : "";
}

// What applying one flag does: its location in the policy, the report, the widening notes.
class Applier {
 public:
  Applier(Policy& p, launch::LaunchRequest& req, std::ostream& log, AppliedFlags& out)
      : p_(p), req_(req), log_(log), out_(out) {}

  // Starts a flag: its SourceLoc, and its entry in the record.
  SourceLoc flag(const std::string& text) {
    out_.flags.push_back(text);
    flag_ = text;
    return SourceLoc::command_line(text);
  }
  void report(const std::string& what) { out_.report.push_back(flag_ + ": " + what); }
  void widens(const std::string& what) {
    log_ << "policyrun: note: " << flag_ << " widens the policy: " << what << "\n";
  }

  void resources(const DockerFlags& f);
  void capabilities(const DockerFlags& f);
  void security_options(const DockerFlags& f);
  void filesystem(const DockerFlags& f);
  void process(const DockerFlags& f, const std::string& uts);
  void privileged();

 private:
  void limit(std::optional<uint64_t>& slot, std::optional<uint64_t> value, const char* what,
             bool bytes);
  void regate_seccomp();
  void add_mount(ir::MountSpec m, bool writable, const SourceLoc& loc);
  void seccomp_profile(const std::string& file);

  Policy& p_;
  launch::LaunchRequest& req_;
  std::ostream& log_;
  AppliedFlags& out_;
  std::string flag_;
};

// A cgroup limit: nullopt is unlimited. Widening: higher than the policy's, or none.
void Applier::limit(std::optional<uint64_t>& slot, std::optional<uint64_t> value, const char* what,
                    bool bytes) {
  auto text = [&](std::optional<uint64_t> v) {
    return v ? (bytes ? human(*v) : std::to_string(*v)) : std::string("unlimited");
  };
  report(std::string(what) + " " + text(value));
  if (slot && (!value || *value > *slot))
    widens(std::string(what) + " " + text(value) + " instead of " + text(slot) + " (the policy's" +
           " resources" + at(p_.resources.loc) + ")");
  slot = value;
}

void Applier::resources(const DockerFlags& f) {
  ir::ResourceLimits& r = p_.resources;
  if (!f.memory.empty()) {
    flag("--memory " + f.memory);
    const uint64_t v = ram_bytes("--memory", f.memory);
    if (v < (6 << 20)) bad("--memory", f.memory, "the minimum memory limit is 6m (as Docker's)");
    limit(r.memory_bytes, v, "memory", true);
  }
  if (!f.memory_swap.empty()) {
    flag("--memory-swap " + f.memory_swap);
    std::optional<uint64_t> v;
    if (f.memory_swap != "-1") v = ram_bytes("--memory-swap", f.memory_swap);
    if (v && (!r.memory_bytes || *v < *r.memory_bytes))
      bad("--memory-swap", f.memory_swap,
          "memory+swap must be at least the memory limit (give --memory too)");
    limit(r.memory_swap_bytes, v, "memory+swap", true);
  }
  if (!f.cpus.empty()) {
    flag("--cpus " + f.cpus);
    char* end = nullptr;
    const double cpus = std::strtod(f.cpus.c_str(), &end);
    if (f.cpus.empty() || *end != '\0' || !(cpus > 0) || cpus > 1e6)
      bad("--cpus", f.cpus, "a positive number of CPUs such as 0.5 or 2 is expected");
    const auto quota = static_cast<int64_t>(cpus * 100000 + 0.5);
    report("cpu quota " + std::to_string(quota) + "us every 100000us");
    if (r.cpu_quota_us && r.cpu_period_us && *r.cpu_quota_us > 0 &&
        static_cast<double>(quota) / 100000 >
            static_cast<double>(*r.cpu_quota_us) / static_cast<double>(*r.cpu_period_us))
      widens("cpu quota " + std::to_string(quota) + "/100000 instead of " +
             std::to_string(*r.cpu_quota_us) + "/" + std::to_string(*r.cpu_period_us) +
             " (the policy's resources" + at(r.loc) + ")");
    r.cpu_quota_us = quota;
    r.cpu_period_us = 100000;
  }
  if (!f.cpu_shares.empty()) {
    flag("--cpu-shares " + f.cpu_shares);
    const int64_t v = integer("--cpu-shares", f.cpu_shares);
    if (v < 2 || v > 262144) bad("--cpu-shares", f.cpu_shares, "between 2 and 262144");
    report("cpu.shares " + std::to_string(v) + " (a relative weight)");
    r.cpu_shares = static_cast<uint64_t>(v);
    r.cpu_weight.reset();  // derived from the shares on cgroup v2
  }
  if (!f.pids_limit.empty()) {
    flag("--pids-limit " + f.pids_limit);
    const int64_t v = integer("--pids-limit", f.pids_limit);
    if (v < -1) bad("--pids-limit", f.pids_limit, "a number of processes, or -1 (unlimited)");
    limit(r.pids, v <= 0 ? std::nullopt : std::optional<uint64_t>(v), "pids", false);
  }
}

// ---- capabilities ----

// Every capability libcap knows that policyrun's own bounding set still has (a container cannot
// get more than its runtime has).
uint64_t all_capabilities() {
  uint64_t all = 0;
  for (int c = 0; c <= names::last_capability() && c < 64; ++c)
    if (::prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) all |= uint64_t{1} << c;
  return all;
}

// NET_RAW, CAP_NET_RAW, net_raw -> bit; ALL -> every capability.
uint64_t capability_bits(const std::string& flag, const std::string& name) {
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "ALL" || upper == "CAP_ALL") return all_capabilities();
  auto n = names::capability_number(upper);
  if (!n) {
    std::vector<std::string> known;
    for (const std::string& c : names::all_capability_names()) known.push_back(c.substr(4));
    known.push_back("ALL");
    throw Error(flag + " " + name + ": " + frontend::unknown_message("capability", name, known));
  }
  return uint64_t{1} << *n;
}

std::string capability_list(uint64_t bits) {
  if (bits == all_capabilities()) return "ALL";
  std::string out;
  for (int c = 0; c < 64; ++c)
    if ((bits >> c) & 1) out += (out.empty() ? "" : ", ") + names::capability_name(c).substr(4);
  return out;
}

void Applier::capabilities(const DockerFlags& f) {
  if (f.cap_add.empty() && f.cap_drop.empty()) return;
  ir::CapabilitySets& c = p_.capabilities;
  uint64_t add = 0, drop = 0;
  std::string text;
  for (const auto& n : f.cap_drop) {
    drop |= capability_bits("--cap-drop", n);
    text += (text.empty() ? "" : " ") + std::string("--cap-drop ") + n;
  }
  for (const auto& n : f.cap_add) {
    add |= capability_bits("--cap-add", n);
    text += (text.empty() ? "" : " ") + std::string("--cap-add ") + n;
  }
  const SourceLoc policy_loc = c.loc;
  const uint64_t before = c.bounding;
  // As Docker: --cap-add ALL keeps every capability but the dropped ones; otherwise the drops
  // (ALL: every capability) go first and the adds come back on top.
  if (add == all_capabilities()) drop &= ~add, add = all_capabilities() & ~drop;
  for (uint64_t* set : {&c.bounding, &c.permitted, &c.effective, &c.inheritable, &c.ambient})
    *set &= ~drop;
  for (uint64_t* set : {&c.bounding, &c.permitted, &c.effective}) *set |= add;
  c.loc = flag(text);
  report("capabilities " + (c.bounding ? capability_list(c.bounding) : std::string("none")));
  if (const uint64_t gained = c.bounding & ~before)
    widens("the container gets " + capability_list(gained) + ", which the policy drops" +
           at(policy_loc));
  if (c.bounding != before) regate_seccomp();
}

bool gate_holds(const ir::SyscallRule& r, uint64_t caps) {
  auto kept = [&](const std::string& name) {
    auto n = names::capability_number(name);
    return n && ((caps >> *n) & 1);
  };
  return std::all_of(r.requires_caps.begin(), r.requires_caps.end(), kept) &&
         std::none_of(r.unless_caps.begin(), r.unless_caps.end(), kept);
}

// The policy's `when capability X` rules decided again for the new capabilities, as Docker's
// profile decides its includes/excludes "caps" for the container's capabilities.
void Applier::regate_seccomp() {
  ir::SeccompPolicy& s = p_.seccomp;
  const uint64_t caps = p_.capabilities.bounding;
  auto gated = [](const ir::SyscallRule& r) {
    return !r.requires_caps.empty() || !r.unless_caps.empty();
  };
  std::vector<ir::SyscallRule> rules, inactive;
  for (auto& r : s.rules) (gated(r) && !gate_holds(r, caps) ? inactive : rules).push_back(r);
  for (auto& r : s.inactive_rules) {
    if (!gated(r) || !gate_holds(r, caps)) {
      inactive.push_back(r);
      continue;
    }
    // A rule of the same call and arguments already decides (libseccomp keeps the first).
    const bool decided = std::any_of(rules.begin(), rules.end(), [&](const ir::SyscallRule& o) {
      return o.syscall == r.syscall && o.args == r.args && o.arches == r.arches &&
             o.not_arches == r.not_arches;
    });
    (decided ? inactive : rules).push_back(r);
  }
  s.rules = std::move(rules);
  s.inactive_rules = std::move(inactive);
  out_.seccomp_changed = true;
}

// ---- --security-opt ----

void Applier::seccomp_profile(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw sys_error("--security-opt seccomp: read the profile", file);
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded())
    throw Error("--security-opt seccomp=" + file + ": not JSON (a Docker or OCI seccomp profile)");
  importer::JsonImportOptions options;
  options.capabilities = p_.capabilities.bounding;  // the container's final capabilities
  options.native_arches = p_.seccomp.arches;
  options.file_name = file;
  DiagnosticEngine diags;
  ir::SeccompPolicy imported = importer::seccomp_from_json(json, options, diags);
  std::ostringstream messages;
  diags.print_all(messages);
  if (diags.has_errors())
    throw Error("--security-opt seccomp=" + file + ": the profile has errors:\n" + messages.str());
  log_ << messages.str();
  if (imported.arches.empty()) imported.arches = p_.seccomp.arches;
  p_.seccomp = std::move(imported);
  report("the syscall rules of " + file + " replace the policy's");
  widens("the syscall rules of " + file + " replace the policy's" + at(p_.loc) +
         ": calls the policy refuses may be allowed");
  out_.seccomp_changed = true;
  out_.seccomp_off = false;
}

void Applier::security_options(const DockerFlags& f) {
  for (const std::string& opt : f.security_opt) {
    flag("--security-opt " + opt);
    const size_t eq = opt.find_first_of("=:");
    const std::string key = opt.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    if (key == "seccomp" && value == "unconfined") {
      p_.seccomp.rules.clear();
      p_.seccomp.inactive_rules.clear();
      p_.seccomp.default_action = {ir::ActionKind::Allow, 0};
      out_.seccomp_off = true;
      report("no seccomp filter");
      widens(
          "no seccomp filter: every system call the policy's syscalls section refuses is "
          "allowed" +
          at(p_.loc));
    } else if (key == "seccomp" && !value.empty()) {
      seccomp_profile(value);
    } else if (key == "no-new-privileges" &&
               (value.empty() || value == "true" || value == "false")) {
      const bool on = value != "false";
      report(std::string("no_new_privileges ") + (on ? "on" : "off"));
      if (p_.process.no_new_privileges && !on)
        widens(
            "no no_new_privs: setuid programs and file capabilities raise privileges again (the "
            "policy's process section" +
            at(p_.process.loc) + " sets no_new_privileges)");
      p_.process.no_new_privileges = on;
    } else if (key == "apparmor" && value == "unconfined") {
      req_.apparmor = launch::AppArmorMode::Off;
      report("no AppArmor profile");
      widens(
          "no AppArmor profile (the policy's filesystem, network, mount, signal and ptrace "
          "rules are not applied by AppArmor; Landlock still applies what it can)");
    } else if (key == "apparmor") {
      throw Error("--security-opt " + opt +
                  ": not supported: policyrun applies the profile it generates from the policy "
                  "(write the rules in its filesystem and network sections), or none "
                  "(apparmor=unconfined)");
    } else if (key == "label") {
      throw Error("--security-opt " + opt + ": no equivalent: policyrun does not use SELinux");
    } else {
      throw Error("--security-opt " + opt +
                  ": expected seccomp=FILE.json|unconfined, no-new-privileges[=true|false] or "
                  "apparmor=unconfined");
    }
  }
}

// ---- the root file system and mounts ----

// A mount of the command line, over a policy mount at the same place; with Landlock rules in the
// policy, the mount's files are granted (as Docker's volume is the container's to use).
void Applier::add_mount(ir::MountSpec m, bool writable, const SourceLoc& loc) {
  if (m.target.empty() || m.target[0] != '/' || m.target == "/")
    throw Error(flag_ + ": the target '" + m.target + "' must be an absolute path below /");
  m.loc = loc;
  auto& mounts = p_.rootfs.mounts;
  mounts.erase(std::remove_if(mounts.begin(), mounts.end(),
                              [&](const ir::MountSpec& o) { return o.target == m.target; }),
               mounts.end());
  ir::FilesystemPolicy& fs = p_.filesystem;
  if (fs.specified && !fs.allow_all_files) {
    bool dir = m.kind == ir::MountSpec::Tmpfs;
    struct stat st {};
    if (m.kind == ir::MountSpec::Bind && ::stat(m.source.c_str(), &st) == 0)
      dir = S_ISDIR(st.st_mode);
    const uint32_t access = ir::kRead | (writable ? ir::kWrite : 0u);
    fs.rules.push_back({false, access, dir ? m.target + "/**" : m.target, "", loc});
    if (dir) fs.rules.push_back({false, ir::kRead, m.target, "", loc});
  }
  report(std::string(ir::mount_kind_name(m.kind)) + " " +
         (m.source.empty() ? "" : m.source + " -> ") + m.target + (writable ? " (rw)" : " (ro)"));
  mounts.push_back(std::move(m));
}

void Applier::filesystem(const DockerFlags& f) {
  if (f.read_only) {
    flag("--read-only");
    p_.rootfs.readonly = true;
    report("read-only root file system");
  }
  for (const std::string& t : f.tmpfs) {
    const SourceLoc loc = flag("--tmpfs " + t);
    const size_t colon = t.find(':');
    ir::MountSpec m{
        ir::MountSpec::Tmpfs, "", t.substr(0, colon), {"nosuid", "nodev", "noexec"}, {}};
    if (colon != std::string::npos)
      for (const auto& o : runtime::split(t.substr(colon + 1), ','))
        if (!o.empty()) m.options.push_back(o);
    add_mount(std::move(m), true, loc);
  }
  for (const std::string& v : f.volume) {
    const SourceLoc loc = flag("-v " + v);
    const std::vector<std::string> parts = runtime::split(v, ':');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[0][0] != '/')
      bad("-v", v,
          "HOSTDIR:DST[:ro|rw] is expected, with an absolute host path (named volumes are not "
          "supported: bind a host directory)");
    bool ro = false;
    if (parts.size() == 3)
      for (const auto& o : runtime::split(parts[2], ',')) {
        if (o == "ro" || o == "rw")
          ro = o == "ro";
        else
          bad("-v", v, "the options may be ro or rw (got '" + o + "')");
      }
    if (!ro) widens("the container may write to the host's " + parts[0]);
    add_mount({ir::MountSpec::Bind, parts[0], parts[1], {"rbind", ro ? "ro" : "rw"}, {}}, !ro, loc);
  }
  for (const std::string& spec : f.mount) {
    const SourceLoc loc = flag("--mount " + spec);
    ir::MountSpec m;
    std::string type;
    bool ro = false;
    for (const auto& item : runtime::split(spec, ',')) {
      const size_t eq = item.find('=');
      const std::string k = item.substr(0, eq);
      const std::string val = eq == std::string::npos ? "" : item.substr(eq + 1);
      if (k == "type") {
        type = val;
      } else if (k == "source" || k == "src") {
        m.source = val;
      } else if (k == "target" || k == "destination" || k == "dst") {
        m.target = val;
      } else if (k == "readonly" || k == "ro") {
        if (val != "" && val != "true" && val != "1" && val != "false" && val != "0")
          bad("--mount", spec, "readonly takes true or false");
        ro = val == "" || val == "true" || val == "1";
      } else if (k == "tmpfs-size") {
        m.options.push_back("size=" + std::to_string(ram_bytes("--mount tmpfs-size", val)));
      } else if (k == "tmpfs-mode") {
        m.options.push_back("mode=" + val);
      } else {
        bad("--mount", spec,
            "unknown key '" + k +
                "' (type, source, target, readonly, tmpfs-size and tmpfs-mode are known)");
      }
    }
    if (type == "bind") {
      if (m.source.empty() || m.source[0] != '/')
        bad("--mount", spec, "a bind needs source=ABSOLUTE-HOST-PATH");
      m.kind = ir::MountSpec::Bind;
      m.options.insert(m.options.begin(), {"rbind", ro ? "ro" : "rw"});
      if (!ro) widens("the container may write to the host's " + m.source);
    } else if (type == "tmpfs") {
      m.kind = ir::MountSpec::Tmpfs;
      m.options.insert(m.options.begin(), {"nosuid", "nodev", "noexec"});
      if (ro) m.options.push_back("ro");
    } else {
      bad("--mount", spec,
          "type=bind or type=tmpfs is expected (named volumes are not supported: bind a host "
          "directory)");
    }
    add_mount(std::move(m), !ro, loc);
  }
}

// ---- the process ----

void Applier::process(const DockerFlags& f, const std::string& uts) {
  if (!f.hostname.empty()) {
    flag("--hostname " + f.hostname);
    if (uts == "host" || (uts != "private" && !p_.namespaces.has(ir::NamespaceKind::Uts)))
      throw Error("--hostname " + f.hostname +
                  ": the container has the host's UTS namespace, whose hostname policyrun does "
                  "not change: add `uts` to the policy's namespaces section (or drop --uts host)");
    p_.process.hostname = f.hostname;
    report("hostname " + f.hostname);
  }
  for (const std::string& u : f.ulimit) {
    const SourceLoc loc = flag("--ulimit " + u);
    const size_t eq = u.find('=');
    std::string name = u.substr(0, eq), upper = "RLIMIT_";
    for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const auto resource = names::constant_value(upper);
    if (eq == std::string::npos || !resource || upper == "RLIMIT_NLIMITS")
      bad("--ulimit", u,
          "NAME=SOFT[:HARD] is expected, NAME one of core, cpu, data, fsize, locks, memlock, "
          "msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack");
    const std::vector<std::string> v = runtime::split(u.substr(eq + 1), ':');
    if (v.size() > 2) bad("--ulimit", u, "NAME=SOFT[:HARD] is expected");
    auto value = [&](const std::string& s) {
      const int64_t n = integer("--ulimit", s);
      if (n < -1) bad("--ulimit", u, "a limit is a number, or -1 (unlimited)");
      return n == -1 ? uint64_t{RLIM_INFINITY} : static_cast<uint64_t>(n);
    };
    ir::Rlimit r{static_cast<int>(*resource), value(v[0]), value(v.back()), loc};
    if (r.soft > r.hard) bad("--ulimit", u, "the soft limit is above the hard limit");
    auto& limits = p_.process.rlimits;
    auto same = std::find_if(limits.begin(), limits.end(),
                             [&](const ir::Rlimit& o) { return o.resource == r.resource; });
    report(upper + " " + v[0] + ":" + v.back());
    if (same != limits.end()) {
      if (r.hard > same->hard || r.soft > same->soft)
        widens(upper + " above the policy's" + at(same->loc));
      *same = r;
    } else {
      limits.push_back(r);
    }
  }
}

// --privileged, said protection by protection.
void Applier::privileged() {
  const SourceLoc loc = flag("--privileged");
  auto off = [&](const std::string& what) {
    report("turns off " + what);
    widens("turns off " + what);
  };
  p_.seccomp.rules.clear();
  p_.seccomp.inactive_rules.clear();
  p_.seccomp.default_action = {ir::ActionKind::Allow, 0};
  out_.seccomp_off = true;
  off("seccomp (no filter)");
  req_.apparmor = launch::AppArmorMode::Off;
  off("AppArmor (no profile)");
  req_.landlock = launch::LandlockMode::Off;
  off("Landlock (the policy's filesystem and network rules)");
  ir::CapabilitySets& c = p_.capabilities;
  c.bounding = c.permitted = c.effective = all_capabilities();
  c.loc = loc;
  off("the capability limits (every capability policyrun has, in the bounding, permitted and "
      "effective sets)");
  p_.resources.devices.specified = true;
  p_.resources.devices.rules = {{ir::DeviceRule::All, -1, -1, 7, loc}};
  off("the device cgroup (every device may be created and opened)");
  p_.rootfs.masked_paths.clear();
  p_.rootfs.readonly_paths.clear();
  off("the masked and read-only paths of /proc and /sys");
  p_.process.no_new_privileges = false;
  off("no_new_privs");
  log_ << "policyrun: note: --privileged keeps the namespaces, the cgroup limits and the user ids "
          "of the policy\n";
}

}  // namespace

void add_docker_flags(po::options_description& desc, DockerFlags& f) {
  desc.add_options()("memory,m", po::value(&f.memory), "memory limit (Docker's --memory: 64m, 1g)")(
      "memory-swap", po::value(&f.memory_swap), "memory+swap limit (-1: unlimited swap)")(
      "cpus", po::value(&f.cpus), "CPUs (1.5: a quota of 150000us every 100000us)")(
      "cpu-shares", po::value(&f.cpu_shares), "relative CPU weight (cpu.shares)")(
      "pids-limit", po::value(&f.pids_limit), "process limit (pids.max; -1 or 0: unlimited)")(
      "cap-add", po::value(&f.cap_add),
      "add a capability (NET_RAW, CAP_NET_RAW or ALL; repeatable)")(
      "cap-drop", po::value(&f.cap_drop), "drop a capability (or ALL; repeatable)")(
      "security-opt", po::value(&f.security_opt),
      "seccomp=FILE.json|unconfined, no-new-privileges[=true|false], apparmor=unconfined")(
      "read-only", po::bool_switch(&f.read_only), "a read-only root file system")(
      "tmpfs", po::value(&f.tmpfs), "PATH[:OPTIONS]: a tmpfs at PATH (repeatable)")(
      "volume,v", po::value(&f.volume),
      "-v HOSTDIR:DST[:ro|rw]: bind a host directory (repeatable)")(
      "mount", po::value(&f.mount),
      "type=bind|tmpfs,source=HOSTDIR,target=DST[,readonly][,tmpfs-size=64m] (repeatable)")(
      "hostname", po::value(&f.hostname), "the container's hostname (needs a UTS namespace)")(
      "ulimit", po::value(&f.ulimit), "NAME=SOFT[:HARD], e.g. nofile=1024:2048 (repeatable)")(
      "env-file", po::value(&f.env_file), "read K=V lines into the environment (repeatable)")(
      "privileged", po::bool_switch(&f.privileged),
      "turn off seccomp, AppArmor, Landlock, the capability and device limits, the masked paths "
      "and no_new_privs (each said on stderr)");
}

bool docker_flag_takes_value(const std::string& a) {
  for (const char* o : {"-m", "--memory", "--memory-swap", "--cpus", "--cpu-shares", "--pids-limit",
                        "--cap-add", "--cap-drop", "--security-opt", "--tmpfs", "--volume", "-v",
                        "--mount", "--hostname", "--ulimit", "--env-file"})
    if (a == o) return true;
  return false;
}

void refuse_unsupported_docker_flag(const std::string& option) {
  const std::string name = option.substr(0, option.find('='));
  for (const Unsupported& u : kUnsupported)
    if (name == u.flag)
      throw Error(name + " is not supported by policyrun run: " + u.instead +
                  " (docs/cli-policyrun.md \"Docker's flags\")");
}

std::vector<std::string> read_env_files(const std::vector<std::string>& files) {
  std::vector<std::string> env;
  for (const std::string& file : files) {
    std::ifstream in(file);
    if (!in) throw sys_error("--env-file: open", file);
    std::string line;
    for (unsigned n = 1; std::getline(in, line); ++n) {
      const size_t from = line.find_first_not_of(" \t");
      if (from == std::string::npos || line[from] == '#') continue;
      line.erase(0, from);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t eq = line.find('=');
      const std::string key = line.substr(0, eq);
      if (key.empty() || key.find_first_of(" \t") != std::string::npos)
        throw Error(file + ":" + std::to_string(n) + ": --env-file: '" + key +
                    "' is not a variable name (K=V, or K alone for the host's value)");
      if (eq != std::string::npos) {
        env.push_back(line);
      } else if (const char* host = std::getenv(key.c_str())) {
        env.push_back(key + "=" + host);
      }
    }
    if (in.bad()) throw sys_error("--env-file: read", file);
  }
  return env;
}

AppliedFlags apply_docker_flags(const DockerFlags& f, const std::string& uts, Policy& policy,
                                launch::LaunchRequest& req, std::ostream& log) {
  AppliedFlags out;
  Applier a(policy, req, log, out);
  a.resources(f);
  if (f.privileged) a.privileged();
  a.capabilities(f);
  a.security_options(f);
  a.filesystem(f);
  a.process(f, uts);
  return out;
}

}  // namespace policy::cli
