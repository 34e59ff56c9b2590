// The checks of every layer but seccomp: capabilities, no_new_privileges, the user, namespaces,
// cgroup limits and devices, the LSM layer, the root filesystem, /proc and /sys, host bind
// mounts. An unknown fact is said as unknown and scored as exposed.
#include <algorithm>
#include <string>

#include "compiler/audit/checks.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/names.hpp"

namespace policy::audit::detail {
namespace {

struct CapCheck {
  const char* name;  // libcap's name without CAP_
  Severity severity;
  const char* why;
};

// The capabilities worth a finding of their own; the others count together in the score.
const std::vector<CapCheck>& cap_checks() {
  static const std::vector<CapCheck> checks = {
      {"SYS_ADMIN", Severity::Critical,
       "mount, namespaces, BPF and much more: amounts to root (the cgroup release_agent escape "
       "CVE-2022-0492, mounting the host's disks)"},
      {"SYS_MODULE", Severity::Critical, "loads kernel modules: code in the host kernel"},
      {"SYS_RAWIO", Severity::Critical,
       "I/O ports, /dev/mem and raw block I/O: reads and writes host memory and disks"},
      {"SYS_PTRACE", Severity::High,
       "traces any process it can see (the host's with a shared pid namespace); "
       "before Linux 4.8 ptrace bypassed seccomp"},
      {"DAC_READ_SEARCH", Severity::High,
       "open_by_handle_at opens any host file by handle: the 2014 'shocker' escape"},
      {"NET_ADMIN", Severity::High,
       "configures interfaces, routes and netfilter; nf_tables bugs give root (CVE-2022-1015)"},
      {"SYS_BOOT", Severity::High, "reboot and kexec_load"},
      {"BPF", Severity::High, "loads BPF programs: verifier bugs (CVE-2021-3490)"},
      {"MAC_ADMIN", Severity::High, "changes the LSM policy (loads AppArmor profiles)"},
      {"MAC_OVERRIDE", Severity::High, "overrides the LSM policy"},
      {"NET_RAW", Severity::Medium,
       "raw and packet sockets: ARP and ICMP spoofing of the neighbours on the bridge, AF_PACKET "
       "bugs (CVE-2020-14386)"},
      {"SYS_TIME", Severity::Medium, "sets the host's clock (time is not namespaced)"},
      {"PERFMON", Severity::Medium, "perf_event_open: kernel address leaks, perf bugs"},
      {"CHECKPOINT_RESTORE", Severity::Medium,
       "chooses PIDs (ns_last_pid) and reads other processes' state"},
      {"SYSLOG", Severity::Medium, "reads the kernel log: kernel addresses (KASLR bypass)"},
      {"AUDIT_CONTROL", Severity::Medium, "changes the host's audit rules"},
      {"SYS_PACCT", Severity::Low, "switches host-wide process accounting"},
      {"MKNOD", Severity::Low,
       "creates device nodes; the devices cgroup decides which can be opened"},
      {"SETFCAP", Severity::Low,
       "gives files capabilities that a later exec gains (without no_new_privileges)"},
      {"SYS_CHROOT", Severity::Low, "chroot: the classic escape with a directory fd from outside"},
      {"DAC_OVERRIDE", Severity::Low, "ignores file permissions inside the container"},
  };
  return checks;
}

std::string cap_fix(const std::string& name) {
  return "remove " + name + " from `capabilities keep { ... }` (or `capabilities drop { " + name +
         " }`)";
}

void check_capabilities(const Posture& p, AuditResult& r) {
  if (!p.capabilities.known()) {
    for (const CapCheck& c : cap_checks())
      add_check(r, std::string("capability: ") + c.name, c.severity, 1, "unknown", std::nullopt);
    add_check(r, "capabilities: the others", Severity::Medium, 1, "unknown",
              Finding{"cap.unknown", Severity::High,
                      "capabilities: not known (" + unknown_note(p.capabilities.origin) + ")",
                      p.capabilities.origin, "every capability counts as kept",
                      "say which capabilities the container keeps (--caps, a policy)"});
    return;
  }
  const ir::CapabilitySets& s = *p.capabilities.value;
  uint64_t listed = 0;
  for (const CapCheck& c : cap_checks()) {
    auto n = names::capability_number(c.name);
    if (!n) continue;  // a capability this libcap does not know: not kept
    listed |= 1ULL << *n;
    const bool kept = s.has(*n);
    std::optional<Finding> f;
    if (kept)
      f = Finding{std::string("cap.") + c.name,
                  c.severity,
                  std::string("capability ") + c.name + " is kept" +
                      ((s.effective >> *n) & 1 ? " (effective)" : " (bounding set)"),
                  p.capabilities.origin,
                  c.why,
                  cap_fix(c.name)};
    add_check(r, std::string("capability: ") + c.name, c.severity, kept ? 1 : 0,
              kept ? "kept" : "dropped", f);
  }
  const uint64_t others = caps::all_mask() & ~listed;
  const int total = __builtin_popcountll(others);
  const int held = __builtin_popcountll(s.bounding & others);
  add_check(r, "capabilities: the others", Severity::Medium,
            total ? static_cast<double>(held) / total : 0,
            std::to_string(held) + " of " + std::to_string(total), std::nullopt);
}

void check_process(const Posture& p, AuditResult& r) {
  if (!p.no_new_privs.known() || !*p.no_new_privs.value) {
    const bool unknown = !p.no_new_privs.known();
    add_check(r, "no_new_privileges", Severity::Medium, 1, unknown ? "unknown" : "off",
              Finding{"process.no-new-privileges", Severity::Medium,
                      unknown ? "no_new_privileges: not known (" +
                                    unknown_note(p.no_new_privs.origin) + ")"
                              : "no_new_privileges is off: setuid and file-capability programs "
                                "gain privileges",
                      p.no_new_privs.origin,
                      "a setuid-root program in the image (su, sudo, pkexec: CVE-2021-4034) "
                      "raises a user back to root and its capabilities",
                      "`process { no_new_privileges }`"});
  } else {
    add_check(r, "no_new_privileges", Severity::Medium, 0, "on", std::nullopt);
  }

  const bool unpriv_root =
      p.root_is_unprivileged_on_host.known() && *p.root_is_unprivileged_on_host.value;
  if (!runs_as_root(p)) {
    add_check(r, "user: not root", Severity::Medium, 0, *p.user.value, std::nullopt);
  } else {
    const bool unknown = !p.user.known();
    const Severity sev = unpriv_root ? Severity::Low : Severity::Medium;
    std::string title =
        unknown ? "the user is not known (" + unknown_note(p.user.origin) + "): counted as root"
                : "runs as root (" + *p.user.value + ")";
    if (unpriv_root) title += "; a user namespace maps it to an unprivileged host uid";
    add_check(r, "user: not root", Severity::Medium, unpriv_root ? 0.5 : 1,
              unknown ? "unknown" : "root",
              Finding{"process.root", sev, title, p.user.origin,
                      "root in the container is root on the host for every kernel check a "
                      "namespace does not cover; any escape lands as root",
                      "`process { user NAME }` (or `user UID:GID`), or a user namespace"});
  }
}

struct NsCheck {
  const char* kind;  // /proc/PID/ns name
  Severity severity;
  const char* why;
};

void check_namespaces(const Posture& p, AuditResult& r) {
  static const NsCheck checks[] = {
      {"mnt", Severity::Critical, "the host's mount table: every host file and mount"},
      {"pid", Severity::High,
       "sees and signals the host's processes; /proc/PID/root of each is its root"},
      {"net", Severity::High,
       "the host's interfaces and every port of the host, its abstract Unix sockets (the "
       "containerd-shim API: CVE-2020-15257)"},
      {"ipc", Severity::Medium, "the host's System V and POSIX shared memory and semaphores"},
      {"uts", Severity::Low, "sets the host's hostname (with CAP_SYS_ADMIN)"},
      {"cgroup", Severity::Low, "sees the host's cgroup tree paths"},
  };
  for (const NsCheck& c : checks) {
    const std::string check = std::string("namespace: ") + c.kind;
    if (!p.namespaces.known()) {
      add_check(r, check, c.severity, 1, "unknown", std::nullopt);
      continue;
    }
    const auto& v = *p.namespaces.value;
    auto it = std::find_if(v.begin(), v.end(), [&](const NamespaceFact& f) {
      return f.kind == c.kind || (std::string(c.kind) == "mnt" && f.kind == "mount");
    });
    if (it == v.end() || it->sharing != Sharing::Host) {
      add_check(r, check, c.severity, 0,
                it == v.end()                 ? "own"
                : it->sharing == Sharing::Own ? "own"
                                              : "joined",
                std::nullopt);
      continue;
    }
    add_check(r, check, c.severity, 1, "host",
              Finding{std::string("namespace.") + c.kind + "-host", c.severity,
                      std::string("shares the host's ") + c.kind + " namespace", it->origin, c.why,
                      std::string("list it in `namespaces { ... }` (remove `") +
                          (std::string(c.kind) == "mnt" ? "mount" : c.kind) + " host`)"});
  }
  if (!p.namespaces.known())
    r.findings.push_back({"namespace.unknown", Severity::High,
                          "namespaces: not known (" + unknown_note(p.namespaces.origin) + ")",
                          p.namespaces.origin,
                          "a container sharing the host's namespaces is barely a container",
                          "audit with the engine's settings (--base docker-default, a policy)"});
  // The user namespace: its own one with an unprivileged root lowers every capability's reach.
  const bool userns =
      p.root_is_unprivileged_on_host.known() && *p.root_is_unprivileged_on_host.value;
  add_check(r, "namespace: user (unprivileged root)", Severity::Medium, userns ? 0 : 1,
            userns ? "own, root unprivileged" : "host's", std::nullopt);
}

template <class T>
void limit_check(AuditResult& r, const Fact<T>& f, const std::string& check, const char* id,
                 const std::string& what, const std::string& why, const std::string& fix) {
  if (f.known() && *f.value) {
    add_check(r, check, Severity::Medium, 0, "set", std::nullopt);
    return;
  }
  add_check(
      r, check, Severity::Medium, 1, f.known() ? "none" : "unknown",
      Finding{id, Severity::Medium,
              f.known() ? "no " + what : what + ": not known (" + unknown_note(f.origin) + ")",
              f.origin, why, fix});
}

void check_resources(const Posture& p, AuditResult& r) {
  limit_check(r, p.memory_limit, "cgroup: memory limit", "resources.memory", "memory limit",
              "one container can exhaust the host's memory and make the OOM killer pick others",
              "`resources { memory 256M }`");
  limit_check(r, p.pids_limit, "cgroup: pids limit", "resources.pids", "pids limit",
              "a fork bomb exhausts the host's PID space", "`resources { pids 128 }`");
  if (p.cpu_limited.known() && *p.cpu_limited.value)
    add_check(r, "cgroup: cpu shares or quota", Severity::Low, 0, "set", std::nullopt);
  else
    add_check(r, "cgroup: cpu shares or quota", Severity::Low, 1,
              p.cpu_limited.known() ? "none" : "unknown", std::nullopt);
  if (p.devices_restricted.known() && *p.devices_restricted.value) {
    add_check(r, "devices: allowlist", Severity::High, 0, "restricted", std::nullopt);
  } else {
    const bool unknown = !p.devices_restricted.known();
    add_check(r, "devices: allowlist", Severity::High, 1, unknown ? "unknown" : "any device",
              Finding{"devices.unrestricted", Severity::High,
                      unknown ? "device access: not known (" +
                                    unknown_note(p.devices_restricted.origin) + ")"
                              : "every device may be created and opened",
                      p.devices_restricted.origin,
                      "with CAP_MKNOD, mknod of the host's disk (b 8:0) reads and writes the "
                      "host's filesystems raw",
                      "a `devices { ... }` section without `allow a *:* rwm` (or none: "
                      "Docker's allowlist)"});
  }
}

bool lsm_confines(const Posture& p) {
  const bool aa = p.apparmor_profile.known() && !p.apparmor_profile.value->empty() &&
                  *p.apparmor_profile.value != "unconfined";
  return aa || (p.landlock.known() && *p.landlock.value);
}

void check_lsm(const Posture& p, AuditResult& r) {
  if (lsm_confines(p)) {
    add_check(r, "LSM: AppArmor or Landlock", Severity::Medium, 0,
              p.apparmor_profile.known() && !p.apparmor_profile.value->empty()
                  ? "AppArmor " + *p.apparmor_profile.value
                  : "Landlock",
              std::nullopt);
    return;
  }
  const bool unknown = !p.apparmor_profile.known() && !p.landlock.known();
  add_check(
      r, "LSM: AppArmor or Landlock", Severity::Medium, 1, unknown ? "unknown" : "none",
      Finding{"lsm.none", Severity::Medium,
              unknown ? "LSM layer: not known (" + unknown_note(p.apparmor_profile.origin) + ")"
                      : "no AppArmor profile and no Landlock ruleset: files are confined "
                        "by permissions alone",
              p.apparmor_profile.origin,
              "nothing stops writes to /proc and /sys knobs, mount, or reads of any file "
              "the user may read",
              "a `filesystem { ... }` section (AppArmor profile and Landlock ruleset), or "
              "--apparmor PROFILE"});
}

bool sensitive_source(const std::string& src, bool* critical) {
  static const char* kCritical[] = {"/",
                                    "/proc",
                                    "/sys",
                                    "/dev",
                                    "/run",
                                    "/var/run",
                                    "/boot",
                                    "/var/run/docker.sock",
                                    "/run/docker.sock",
                                    "/run/containerd",
                                    "/var/run/containerd",
                                    "/var/lib/docker",
                                    "/run/podman",
                                    "/var/run/crio"};
  static const char* kHigh[] = {"/etc", "/root", "/home", "/usr",     "/lib",    "/lib64",
                                "/bin", "/sbin", "/var",  "/var/log", "/var/lib"};
  std::string s = src;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  for (const char* c : kCritical)
    if (s == c || (std::string(c) != "/" && s.rfind(std::string(c) + "/", 0) == 0)) {
      *critical = true;
      return true;
    }
  for (const char* h : kHigh)
    if (s == h) {
      *critical = false;
      return true;
    }
  return false;
}

void check_filesystem(const Posture& p, AuditResult& r) {
  // Read-only root.
  if (p.readonly_rootfs.known() && *p.readonly_rootfs.value)
    add_check(r, "rootfs: read-only", Severity::Low, 0, "read-only", std::nullopt);
  else
    add_check(r, "rootfs: read-only", Severity::Low, 1,
              p.readonly_rootfs.known() ? "writable" : "unknown",
              Finding{"rootfs.writable", Severity::Low,
                      p.readonly_rootfs.known() ? "the root filesystem is writable"
                                                : "root filesystem: not known (" +
                                                      unknown_note(p.readonly_rootfs.origin) + ")",
                      p.readonly_rootfs.origin,
                      "an intruder can replace the image's programs and libraries for the "
                      "next exec, and persist until the container is removed",
                      "`rootfs { readonly }` with tmpfs mounts where the program writes"});

  auto tree = [&](const Fact<bool>& f, const char* dir, const char* id, const char* why,
                  const char* fix) {
    const std::string check = std::string(dir) + ": read-only";
    if (f.known() && !*f.value) {
      add_check(r, check, Severity::High, 0, "read-only", std::nullopt);
      return;
    }
    add_check(r, check, Severity::High, 1, f.known() ? "writable" : "unknown",
              Finding{id, Severity::High,
                      f.known() ? std::string(dir) + " is writable from inside"
                                : std::string(dir) + ": not known whether writable (" +
                                      unknown_note(f.origin) + ")",
                      f.origin, why, fix});
  };
  tree(p.proc_sys_writable, "/proc/sys", "proc.sys-writable",
       "kernel.core_pattern runs a program as host root on the next crash; other global "
       "sysctls change the host",
       "`rootfs { docker-defaults }` (read-only /proc/sys), or `deny write /proc/sys/**`");
  tree(p.sys_writable, "/sys", "sys.writable",
       "uevent_helper and other host-wide knobs under /sys run programs or change devices",
       "mount /sys read-only (policyrun does; remove a writable sysfs or bind mount)");

  if (p.docker_masked_paths.known() && *p.docker_masked_paths.value) {
    add_check(r, "/proc masks (Docker's)", Severity::Medium, 0, "masked", std::nullopt);
  } else {
    const bool unknown = !p.docker_masked_paths.known();
    add_check(r, "/proc masks (Docker's)", Severity::Medium, 1, unknown ? "unknown" : "missing",
              Finding{"proc.masks", Severity::Medium,
                      unknown ? "/proc and /sys masks: not known (" +
                                    unknown_note(p.docker_masked_paths.origin) + ")"
                              : "Docker's masked and read-only /proc and /sys paths are missing",
                      p.docker_masked_paths.origin,
                      "/proc/kcore, /proc/keys, /proc/timer_list, /proc/sched_debug leak kernel "
                      "memory, keys and host activity; /proc/sysrq-trigger reboots the host",
                      "`rootfs { docker-defaults }`"});
  }

  // Host bind mounts.
  if (!p.mounts.known()) {
    add_check(r, "mounts: no sensitive host path", Severity::Critical, 1, "unknown", std::nullopt);
    return;
  }
  double worst = 0;
  for (const MountFact& m : *p.mounts.value) {
    if (!m.bind) continue;
    bool critical = false;
    const bool sensitive = sensitive_source(m.source, &critical);
    worst = std::max(worst, sensitive ? 1.0 : m.writable ? 0.3 : 0.1);
    if (!sensitive) continue;
    const Severity sev = critical || m.writable ? Severity::Critical : Severity::High;
    r.findings.push_back(
        {"mount.host-" + m.source, sev,
         "the host's " + m.source + " is mounted at " + m.target +
             (m.writable ? " (writable)" : " (read-only)"),
         m.origin,
         m.source.find("docker.sock") != std::string::npos ||
                 m.source.find("containerd") != std::string::npos
             ? "the container engine's API starts a privileged container: root on the host"
             : "host files (credentials, configuration, devices, the host's /proc) from inside; "
               "writable, they change the host",
         "bind only the directory the program needs, read-only (`bind SRC DST ro`)"});
  }
  add_check(r, "mounts: no sensitive host path", Severity::Critical, worst,
            worst >= 1  ? "sensitive"
            : worst > 0 ? "other binds"
                        : "none",
            std::nullopt);
}

// The Pod Security Standards' safe sysctls (namespaced, and isolated from the host).
bool safe_sysctl(const std::string& key) {
  static const char* kSafe[] = {"kernel.shm_rmid_forced",
                                "net.ipv4.ip_local_port_range",
                                "net.ipv4.ip_unprivileged_port_start",
                                "net.ipv4.tcp_syncookies",
                                "net.ipv4.ping_group_range",
                                "net.ipv4.ip_local_reserved_ports",
                                "net.ipv4.tcp_keepalive_time",
                                "net.ipv4.tcp_fin_timeout",
                                "net.ipv4.tcp_keepalive_intvl",
                                "net.ipv4.tcp_keepalive_probes"};
  return std::find_if(std::begin(kSafe), std::end(kSafe),
                      [&](const char* s) { return key == s; }) != std::end(kSafe);
}

void check_sysctls(const Posture& p, AuditResult& r) {
  if (!p.sysctls.known()) {
    add_check(r, "sysctls: safe set only", Severity::Low, 1, "unknown", std::nullopt);
    return;
  }
  std::string unsafe;
  for (const auto& [k, v] : *p.sysctls.value)
    if (!safe_sysctl(k)) unsafe += (unsafe.empty() ? "" : ", ") + k;
  add_check(r, "sysctls: safe set only", Severity::Low, unsafe.empty() ? 0 : 1,
            unsafe.empty() ? "safe" : unsafe,
            unsafe.empty()
                ? std::nullopt
                : std::optional<Finding>(
                      Finding{"sysctl.unsafe", Severity::Low,
                              "sysctls outside Kubernetes' safe set: " + unsafe, p.sysctls.origin,
                              "they are namespaced but not isolated: they can affect other "
                              "containers or the node",
                              "keep only the safe sysctls (docs/audit.md)"}));
}

}  // namespace

bool is_safe_sysctl(const std::string& key) {
  return safe_sysctl(key);
}
bool posture_lsm_confines(const Posture& p) {
  return lsm_confines(p);
}
bool sensitive_host_path(const std::string& src) {
  bool critical = false;
  return sensitive_source(src, &critical);
}

bool runs_as_root(const Posture& p) {
  if (!p.user.known()) return true;
  const std::string& u = *p.user.value;
  return u == "0" || u.rfind("0:", 0) == 0 || u == "root" || u.rfind("root:", 0) == 0;
}

void check_layers(const Posture& p, AuditResult& r) {
  check_capabilities(p, r);
  check_process(p, r);
  check_namespaces(p, r);
  check_resources(p, r);
  check_lsm(p, r);
  check_filesystem(p, r);
  check_sysctls(p, r);
}

}  // namespace policy::audit::detail
