// A Pod whose one container carries the policy: securityContext, resources, host namespaces,
// sysctls, environment and the policy's tmpfs mounts.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "compiler/apparmor/profile.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/names.hpp"
#include "compiler/k8s/notes.hpp"
#include "compiler/k8s/objects.hpp"

namespace policy::k8s {

namespace {

using nlohmann::ordered_json;

// The kubelet's safe sysctls (Kubernetes 1.29+, "Using sysctls in a Kubernetes Cluster"); any other
// needs the node's --allowed-unsafe-sysctls.
bool safe_sysctl(const std::string& key) {
  for (const char* s : {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                        "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
                        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                        "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"})
    if (key == s) return true;
  return false;
}

// A DNS-1123 label (a hostname, a volume name): lower-case letters, digits, '-', at most 63.
bool dns_label(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// tmpfs's size= (bytes, or k/m/g binary multiples); nullopt for a percentage or anything else.
std::optional<uint64_t> tmpfs_size(const std::vector<std::string>& options) {
  for (const std::string& o : options) {
    if (o.rfind("size=", 0) != 0) continue;
    const std::string v = o.substr(5);
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (end == v.c_str()) return std::nullopt;
    const std::string unit = end;
    int shift = unit.empty() ? 0 : -1;
    if (unit == "k" || unit == "K") shift = 10;
    if (unit == "m" || unit == "M") shift = 20;
    if (unit == "g" || unit == "G") shift = 30;
    if (shift < 0) return std::nullopt;
    return static_cast<uint64_t>(n) << shift;
  }
  return std::nullopt;
}

void namespaces(const ir::Policy& p, ordered_json& spec, std::vector<std::string>& notes) {
  const ir::NamespacePlan& ns = p.namespaces;
  if (!ns.has(ir::NamespaceKind::Pid)) spec["hostPID"] = true;
  if (!ns.has(ir::NamespaceKind::Ipc)) spec["hostIPC"] = true;
  if (!ns.has(ir::NamespaceKind::Net)) spec["hostNetwork"] = true;
  if (ns.has(ir::NamespaceKind::User)) {
    spec["hostUsers"] = false;
    if (!ns.uid_map.empty() || !ns.gid_map.empty())
      note(notes, "the user namespace's uid/gid maps", SourceLoc{},
           "with hostUsers: false the kubelet chooses the mapping (UserNamespacesSupport)");
  }
  if (ns.has(ir::NamespaceKind::Uts) == !ns.has(ir::NamespaceKind::Net))
    note(
        notes,
        std::string(ns.has(ir::NamespaceKind::Uts) ? "a private" : "the host's") + " uts namespace",
        SourceLoc{}, "a Pod shares the host's uts namespace exactly when it has hostNetwork");
  if (!ns.has(ir::NamespaceKind::Mount))
    note(notes, "the host's mount namespace", SourceLoc{},
         "a container always has its own mount namespace");
  if (!ns.has(ir::NamespaceKind::Cgroup))
    note(notes, "the host's cgroup namespace", SourceLoc{},
         "the runtime decides (private on cgroup v2)");
  if (ns.has(ir::NamespaceKind::Time))
    note(notes, "a time namespace", SourceLoc{}, "Kubernetes has no time namespace");
  for (const ir::NamespaceSpec& n : ns.namespaces)
    if (!n.creates())
      note(notes,
           std::string("joining the ") + ir::namespace_name(n.kind) + " namespace of " +
               (n.container.empty() ? n.join_path : "container " + n.container),
           n.loc, "the Pod gets a namespace of its own (containers of one Pod share net and ipc)");
}

ordered_json capabilities(const ir::Policy& p, std::vector<std::string>& notes) {
  const ir::CapabilitySets& c = p.capabilities;
  ordered_json add = ordered_json::array();
  for (const std::string& n : caps::names(c.bounding)) add.push_back(n.substr(4));  // no CAP_
  ordered_json out = {{"drop", {"ALL"}}};
  if (!add.empty()) out["add"] = add;
  // The runtime gives a root process the added set as bounding, permitted and effective, and
  // never sets ambient or inheritable capabilities.
  if (c.permitted != c.bounding || c.effective != c.bounding)
    note(notes, "permitted/effective sets narrower than the bounding set", c.loc,
         "a root container gets every added capability in its permitted and effective sets");
  if (c.ambient != 0 || c.inheritable != 0)
    note(notes, "ambient/inheritable capabilities " + caps::capsh_decode(c.ambient | c.inheritable),
         c.loc, "Kubernetes sets none: a non-root process starts without capabilities");
  return out;
}

ordered_json resources(const ir::ResourceLimits& r, std::vector<std::string>& notes) {
  ordered_json limits = ordered_json::object(), requests = ordered_json::object();
  if (r.memory_bytes) limits["memory"] = std::to_string(*r.memory_bytes);
  std::optional<uint64_t> limit_milli;
  if (r.cpu_quota_us && *r.cpu_quota_us > 0) {
    const uint64_t period = r.cpu_period_us.value_or(100000);
    // The kubelet writes quota = millicores * 100ms / 1000: round up so the limit is not tighter.
    const uint64_t q = static_cast<uint64_t>(*r.cpu_quota_us);
    limit_milli = (q * 1000 + period - 1) / period;
    limits["cpu"] = std::to_string(*limit_milli) + "m";
    if (period != 100000 || (q * 1000) % period != 0)
      note(notes, "cpu quota " + std::to_string(q) + "us per " + std::to_string(period) + "us",
           r.loc,
           "the kubelet uses a 100ms period; the limit is " + std::to_string(*limit_milli) + "m");
  }
  if (r.cpu_shares) {
    // The kubelet writes cpu.shares = millicores * 1024 / 1000 from requests.cpu.
    const uint64_t milli = std::max<uint64_t>(1, (*r.cpu_shares * 1000 + 1023) / 1024);
    if (limit_milli && milli > *limit_milli)
      note(notes, "cpu.shares " + std::to_string(*r.cpu_shares), r.loc,
           "requests.cpu would exceed limits.cpu, which Kubernetes refuses");
    else
      requests["cpu"] = std::to_string(milli) + "m";
    if ((milli * 1024) / 1000 != *r.cpu_shares)
      notes.push_back("cpu.shares " + std::to_string(*r.cpu_shares) + " is requests.cpu " +
                      std::to_string(milli) + "m, which the kubelet writes as cpu.shares " +
                      std::to_string((milli * 1024) / 1000));
  } else if (r.cpu_weight) {
    note(notes, "cpu.weight " + std::to_string(*r.cpu_weight), r.loc,
         "Kubernetes derives the weight from requests.cpu; set it by hand");
  }
  if (r.pids)
    note(notes, "pids limit " + std::to_string(*r.pids), r.loc,
         "a Pod has no pids field; the node's kubelet sets one for every Pod (podPidsLimit)");
  if (r.memory_swap_bytes)
    note(notes, "memory+swap limit", r.loc, "swap is the node's setting (memorySwap.swapBehavior)");
  if (r.cpuset_cpus || r.cpuset_mems)
    note(notes, "cpuset", r.loc,
         "CPUs and memory nodes are the kubelet's CPU/memory managers' (static policy, Guaranteed "
         "Pods)");
  if (r.devices.specified)
    note(notes, "the devices section", r.loc,
         "an unprivileged container gets the runtime's default devices only");
  ordered_json out = ordered_json::object();
  if (!limits.empty()) out["limits"] = limits;
  if (!requests.empty()) out["requests"] = requests;
  return out;
}

void rootfs(const ir::Policy& p, ordered_json& container, ordered_json& volumes,
            std::vector<std::string>& notes) {
  const ir::RootfsPlan& r = p.rootfs;
  ordered_json mounts = ordered_json::array();
  for (const ir::MountSpec& m : r.mounts) {
    if (m.kind != ir::MountSpec::Tmpfs) {
      note(notes, std::string(ir::mount_kind_name(m.kind)) + " mount on " + m.target, m.loc,
           m.kind == ir::MountSpec::Bind ? "give the Pod a volume (hostPath, a claim) for it"
                                         : "the runtime mounts its own");
      continue;
    }
    const std::string vol = "tmpfs-" + std::to_string(volumes.size());
    ordered_json empty_dir = {{"medium", "Memory"}};
    if (auto size = tmpfs_size(m.options))
      empty_dir["sizeLimit"] = std::to_string(*size);
    else
      note(notes, "the size of the tmpfs on " + m.target, m.loc,
           "no byte size; the emptyDir has no sizeLimit");
    for (const std::string& o : m.options)
      if (o.rfind("size=", 0) != 0 && o != "rw")
        note(notes, "tmpfs option " + o + " on " + m.target, m.loc,
             "an emptyDir takes no mount options");
    volumes.push_back({{"name", vol}, {"emptyDir", empty_dir}});
    mounts.push_back({{"name", vol}, {"mountPath", m.target}});
  }
  if (!mounts.empty()) container["volumeMounts"] = mounts;
  if (r.masked_paths != ir::docker_masked_paths() ||
      r.readonly_paths != ir::docker_readonly_paths())
    note(notes, "the masked and read-only paths", r.loc,
         "with procMount Default the runtime masks its own list (containerd and CRI-O: Docker's)");
  if (r.nosuid || r.nodev)
    note(notes, "nosuid/nodev on the root", r.loc,
         "the container's root is mounted by the runtime");
}

}  // namespace

Object pod(const ir::Policy& p) {
  Object out;
  const std::string name = object_name(p, &out.notes);
  // A container name is a DNS-1123 label.
  std::string container_name = name.substr(0, 63);
  std::replace(container_name.begin(), container_name.end(), '.', '-');
  while (!container_name.empty() && container_name.back() == '-') container_name.pop_back();

  ordered_json security = ordered_json::object();
  security["allowPrivilegeEscalation"] = !p.process.no_new_privileges;
  const bool sys_admin = p.capabilities.has(*names::capability_number("CAP_SYS_ADMIN"));
  if (p.process.no_new_privileges && sys_admin) {
    // The API refuses allowPrivilegeEscalation: false with CAP_SYS_ADMIN added.
    security["allowPrivilegeEscalation"] = true;
    note(out.notes, "no_new_privileges", p.process.loc,
         "Kubernetes refuses allowPrivilegeEscalation: false with SYS_ADMIN kept; the container "
         "runs without no_new_privs");
  }
  security["privileged"] = false;
  security["capabilities"] = capabilities(p, out.notes);
  security["readOnlyRootFilesystem"] = p.rootfs.readonly;
  if (p.process.uid) {
    security["runAsUser"] = *p.process.uid;
    if (*p.process.uid != 0) security["runAsNonRoot"] = true;
  } else if (p.process.user) {
    note(out.notes, "user " + *p.process.user, p.process.loc,
         "Kubernetes takes numeric ids only: set runAsUser/runAsGroup to its ids in the image");
  }
  if (p.process.gid) security["runAsGroup"] = *p.process.gid;
  security["seccompProfile"] = {{"type", "Localhost"},
                                {"localhostProfile", kubelet_seccomp_path(p)}};
  const std::string profile = apparmor::profile_name(p);
  security["appArmorProfile"] = {{"type", "Localhost"}, {"localhostProfile", profile}};

  ordered_json container = {{"name", container_name}, {"image", "REPLACE-WITH-THE-IMAGE"}};
  if (p.process.cwd) container["workingDir"] = *p.process.cwd;
  if (!p.process.env.empty()) {
    ordered_json env = ordered_json::array();
    for (const auto& [k, v] : p.process.env) env.push_back({{"name", k}, {"value", v}});
    container["env"] = env;
  }
  container["securityContext"] = security;
  ordered_json res = resources(p.resources, out.notes);
  if (!res.empty()) container["resources"] = res;
  ordered_json volumes = ordered_json::array();
  rootfs(p, container, volumes, out.notes);

  ordered_json spec = ordered_json::object();
  namespaces(p, spec, out.notes);
  if (p.process.hostname) {
    if (!p.namespaces.has(ir::NamespaceKind::Net))
      note(out.notes, "hostname \"" + *p.process.hostname + "\"", p.process.loc,
           "with hostNetwork the Pod has the node's hostname");
    else if (dns_label(*p.process.hostname))
      spec["hostname"] = *p.process.hostname;
    else
      note(out.notes, "hostname \"" + *p.process.hostname + "\"", p.process.loc,
           "a Pod's hostname is a DNS label (lower case, digits, '-', at most 63)");
  }
  ordered_json pod_security = ordered_json::object();
  if (!p.process.supplementary_groups.empty())
    pod_security["supplementalGroups"] = p.process.supplementary_groups;
  ordered_json sysctls = ordered_json::array();
  for (const ir::Sysctl& s : p.sysctls) {
    sysctls.push_back({{"name", s.key}, {"value", s.value}});
    if (!safe_sysctl(s.key))
      out.notes.push_back("sysctl " + s.key + (s.loc.known() ? " (" + s.loc.str() + ")" : "") +
                          " is not one of the kubelet's safe sysctls: the node must allow it "
                          "(--allowed-unsafe-sysctls) or the Pod is refused");
  }
  if (!sysctls.empty()) pod_security["sysctls"] = sysctls;
  if (!pod_security.empty()) spec["securityContext"] = pod_security;
  spec["containers"] = ordered_json::array({container});
  if (!volumes.empty()) spec["volumes"] = volumes;

  for (const ir::Rlimit& l : p.process.rlimits)
    note(out.notes,
         "rlimit " + names::constant_name("RLIMIT_", static_cast<uint64_t>(l.resource))
                         .value_or(std::to_string(l.resource)),
         l.loc, "Kubernetes sets no rlimits; the runtime's defaults apply");
  if (p.process.init)
    note(out.notes, "init", p.process.loc,
         "Kubernetes runs no init in the container (shareProcessNamespace makes pause PID 1)");
  if (p.filesystem.specified || p.network.scope_abstract_unix || p.network.scope_signals ||
      !p.network.ports.empty())
    out.notes.push_back(
        "Landlock (the filesystem rules, tcp ports and scopes) is not applied under Kubernetes: "
        "the AppArmor profile carries the path and socket rules, on nodes with AppArmor only");

  out.object = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", name},
                  {"annotations",
                   {{"container.apparmor.security.beta.kubernetes.io/" + container_name,
                     "localhost/" + profile}}}}},
                {"spec", spec}};
  return out;
}

}  // namespace policy::k8s
