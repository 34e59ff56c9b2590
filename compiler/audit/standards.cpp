// The Kubernetes Pod Security Standards level of a posture, and the CIS Docker Benchmark v1.6.0
// items it meets or fails (docs/audit.md has the mapping of each control onto posture facts).
#include <algorithm>

#include "compiler/audit/checks.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/names.hpp"
#include "compiler/importer/seccomp_json.hpp"

namespace policy::audit::detail {
namespace {

uint64_t mask(const std::vector<std::string>& names) {
  return caps::mask_of(names).value_or(0);
}

// PSS baseline: "Adding additional capabilities beyond those listed below must be disallowed";
// what the container runtime gives without adding anything (Docker's and containerd's defaults,
// which include NET_RAW) is not "adding".
uint64_t pss_baseline_caps() {
  return mask({"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
               "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}) |
         importer::JsonImportOptions::docker_default_capabilities();
}

std::string cap_list(uint64_t m) {
  std::string s;
  for (const std::string& n : caps::names(m)) s += (s.empty() ? "" : ", ") + n.substr(4);
  return s;
}

const NamespaceFact* ns(const Posture& p, const std::string& kind) {
  if (!p.namespaces.known()) return nullptr;
  for (const NamespaceFact& f : *p.namespaces.value)
    if (f.kind == kind || (kind == "mnt" && f.kind == "mount")) return &f;
  return nullptr;
}

// true: shares the host's; nullopt: not known.
std::optional<bool> host_ns(const Posture& p, const std::string& kind) {
  if (!p.namespaces.known()) return std::nullopt;
  const NamespaceFact* f = ns(p, kind);
  return f && f->sharing == Sharing::Host;
}

bool privileged(const Posture& p) {
  auto sys_admin = names::capability_number("SYS_ADMIN");
  return p.capabilities.known() && sys_admin && p.capabilities.value->has(*sys_admin) &&
         p.devices_restricted.known() && !*p.devices_restricted.value;
}

std::vector<std::string> host_binds(const Posture& p) {
  std::vector<std::string> out;
  if (p.mounts.known())
    for (const MountFact& m : *p.mounts.value)
      if (m.bind) out.push_back(m.source);
  return out;
}

}  // namespace

PssResult judge_pss(const Posture& p) {
  PssResult out;
  auto& b = out.baseline_violations;
  auto& rs = out.restricted_violations;
  for (const char* kind : {"net", "pid", "ipc"}) {
    auto h = host_ns(p, kind);
    if (!h)
      b.push_back(std::string("host namespaces (hostNetwork/hostPID/hostIPC): not known"));
    else if (*h)
      b.push_back(std::string("shares the host's ") + kind + " namespace (host namespaces)");
    if (!h) break;
  }
  if (privileged(p))
    b.push_back("privileged: CAP_SYS_ADMIN with every device (privileged containers)");
  if (!p.capabilities.known()) {
    b.push_back("capabilities: not known");
  } else if (uint64_t extra = p.capabilities.value->bounding & ~pss_baseline_caps()) {
    b.push_back("capabilities beyond the baseline set: " + cap_list(extra));
  }
  if (!p.mounts.known()) {
    b.push_back("hostPath volumes: not known");
  } else {
    for (const std::string& s : host_binds(p))
      b.push_back("host path " + s + " mounted (hostPath volumes)");
  }
  if (!p.docker_masked_paths.known())
    b.push_back("/proc mount type: not known");
  else if (!*p.docker_masked_paths.value)
    b.push_back("/proc mount type: Unmasked (Docker's masked paths missing)");
  if (!p.seccomp.known)
    b.push_back("seccomp: not known");
  else if (p.seccomp.filters.empty())
    b.push_back("seccomp: Unconfined (no filter)");
  if (!p.apparmor_profile.known())
    b.push_back("AppArmor: not known");
  else if (p.apparmor_profile.value->empty() || *p.apparmor_profile.value == "unconfined")
    b.push_back("AppArmor: unconfined (no profile)");
  if (!p.sysctls.known()) {
    b.push_back("sysctls: not known");
  } else {
    for (const auto& [k, v] : *p.sysctls.value)
      if (!is_safe_sysctl(k)) b.push_back("sysctl " + k + " outside the safe set");
  }

  if (runs_as_root(p))
    rs.push_back(p.user.known() ? "runs as root (runAsNonRoot)"
                                : "the user is not known: the image's (runAsNonRoot)");
  if (!p.no_new_privs.known() || !*p.no_new_privs.value)
    rs.push_back("no_new_privileges off (allowPrivilegeEscalation)");
  if (!seccomp_filter_present(p)) rs.push_back("no seccomp filter (RuntimeDefault or Localhost)");
  if (p.capabilities.known()) {
    if (uint64_t extra = p.capabilities.value->bounding & ~mask({"NET_BIND_SERVICE"}))
      rs.push_back("capabilities other than NET_BIND_SERVICE: " + cap_list(extra));
  } else {
    rs.push_back("capabilities: not known");
  }
  out.level = !b.empty()    ? PssLevel::Privileged
              : !rs.empty() ? PssLevel::Baseline
                            : PssLevel::Restricted;
  return out;
}

std::vector<CisItem> judge_cis(const Posture& p, const AuditResult&) {
  using S = CisItem::Status;
  std::vector<CisItem> out;
  auto item = [&](const char* id, const char* title, std::optional<bool> pass,
                  const std::string& detail) {
    out.push_back({id, title, !pass ? S::Unknown : *pass ? S::Pass : S::Fail, detail});
  };
  auto known = [](const auto& fact) -> std::optional<bool> {
    if (!fact.known()) return std::nullopt;
    return static_cast<bool>(*fact.value);
  };
  auto ns_item = [&](const char* id, const char* title, const char* kind) {
    auto h = host_ns(p, kind);
    item(id, title, h ? std::optional<bool>(!*h) : std::nullopt,
         !h   ? "namespaces not known"
         : *h ? std::string("shares the host's ") + kind
              : "own");
  };

  item("4.1", "Ensure that a user for the container has been created",
       p.user.known() ? std::optional<bool>(!runs_as_root(p)) : std::nullopt,
       p.user.known() ? "user " + *p.user.value : "the image's User decides");
  {
    const bool has = p.apparmor_profile.known() && !p.apparmor_profile.value->empty() &&
                     *p.apparmor_profile.value != "unconfined";
    item("5.1", "Ensure that, if applicable, an AppArmor Profile is enabled",
         p.apparmor_profile.known() ? std::optional<bool>(has) : std::nullopt,
         has                          ? "profile " + *p.apparmor_profile.value
         : p.apparmor_profile.known() ? "no profile"
                                      : "not known");
  }
  if (p.capabilities.known()) {
    const uint64_t extra = p.capabilities.value->bounding &
                           ~importer::JsonImportOptions::docker_default_capabilities();
    item("5.3", "Ensure that Linux kernel capabilities are restricted within containers",
         extra == 0,
         extra ? "beyond Docker's defaults: " + cap_list(extra)
               : std::to_string(__builtin_popcountll(p.capabilities.value->bounding)) +
                     " capabilities, none beyond Docker's defaults");
  } else {
    item("5.3", "Ensure that Linux kernel capabilities are restricted within containers",
         std::nullopt, "capabilities not known");
  }
  item("5.4", "Ensure that privileged containers are not used",
       p.capabilities.known() && p.devices_restricted.known() ? std::optional<bool>(!privileged(p))
                                                              : std::nullopt,
       privileged(p) ? "CAP_SYS_ADMIN and every device" : "not privileged");
  {
    std::string sensitive;
    for (const std::string& s : host_binds(p))
      if (sensitive_host_path(s)) sensitive += (sensitive.empty() ? "" : ", ") + s;
    item("5.5", "Ensure sensitive host system directories are not mounted on containers",
         p.mounts.known() ? std::optional<bool>(sensitive.empty()) : std::nullopt,
         !p.mounts.known()   ? "mounts not known"
         : sensitive.empty() ? "none"
                             : sensitive);
  }
  ns_item("5.9", "Ensure that the host's network namespace is not shared", "net");
  item("5.10", "Ensure that the memory usage for containers is limited", known(p.memory_limit),
       p.memory_limit.known() ? (*p.memory_limit.value ? "limited" : "no limit") : "not known");
  item("5.11", "Ensure that CPU priority is set appropriately on containers", known(p.cpu_limited),
       p.cpu_limited.known() ? (*p.cpu_limited.value ? "set" : "not set") : "not known");
  item("5.12", "Ensure that the container's root filesystem is mounted as read only",
       known(p.readonly_rootfs),
       p.readonly_rootfs.known() ? (*p.readonly_rootfs.value ? "read-only" : "writable")
                                 : "not known");
  ns_item("5.15", "Ensure that the host's process namespace is not shared", "pid");
  ns_item("5.16", "Ensure that the host's IPC namespace is not shared", "ipc");
  item("5.17", "Ensure that host devices are not directly exposed to containers",
       known(p.devices_restricted),
       p.devices_restricted.known()
           ? (*p.devices_restricted.value ? "device allowlist" : "every device")
           : "not known");
  ns_item("5.20", "Ensure that the host's UTS namespace is not shared", "uts");
  item("5.21", "Ensure the default seccomp profile is not Disabled",
       p.seccomp.known ? std::optional<bool>(!p.seccomp.filters.empty()) : std::nullopt,
       !p.seccomp.known            ? "not known"
       : p.seccomp.filters.empty() ? "no filter"
                                   : "a filter");
  item("5.25", "Ensure that the container is restricted from acquiring additional privileges",
       known(p.no_new_privs),
       p.no_new_privs.known() ? (*p.no_new_privs.value ? "no_new_privileges" : "setuid works")
                              : "not known");
  item("5.28", "Ensure that the PIDs cgroup limit is used", known(p.pids_limit),
       p.pids_limit.known()
           ? (*p.pids_limit.value ? "pids " + std::to_string(*p.pids_limit.value) : "no limit")
           : "not known");
  {
    auto h = host_ns(p, "user");
    item("5.30", "Ensure that the host's user namespaces are not shared",
         h ? std::optional<bool>(!*h) : std::nullopt,
         !h   ? "namespaces not known"
         : *h ? "the host's: uid 0 is the host's root"
              : "own");
  }
  {
    bool sock = false;
    for (const std::string& s : host_binds(p))
      if (s.find("docker.sock") != std::string::npos) sock = true;
    item("5.31", "Ensure that the Docker socket is not mounted inside any containers",
         p.mounts.known() ? std::optional<bool>(!sock) : std::nullopt,
         !p.mounts.known() ? "mounts not known"
         : sock            ? "mounted"
                           : "not mounted");
  }
  return out;
}

}  // namespace policy::audit::detail
