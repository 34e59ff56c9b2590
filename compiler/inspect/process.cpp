#include "compiler/inspect/process.hpp"

#include <fcntl.h>

#include <sstream>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/inspect/filters.hpp"
#include "runtime/common/host.hpp"
#include "runtime/common/text.hpp"

namespace policy::inspect {

namespace {

// The mount a path is on: the last mount whose target is the path or a parent of it.
const MountInfo* mount_of(const std::vector<MountInfo>& mounts, const std::string& path) {
  const MountInfo* best = nullptr;
  for (const MountInfo& m : mounts) {
    const bool covers = m.target == path || m.target == "/" ||
                        (path.rfind(m.target, 0) == 0 && path[m.target.size()] == '/');
    if (covers && (!best || m.target.size() >= best->target.size())) best = &m;
  }
  return best;
}

std::optional<std::string> cgroup_file(const ProcessFacts& f, const std::string& file,
                                       bool usage = false) {
  for (const CgroupInfo& c : f.cgroups) {
    const auto& files = usage ? c.usage : c.limits;
    if (auto it = files.find(file); it != files.end()) return it->second;
  }
  return std::nullopt;
}

// A limit file's value: "max" and v1's "no limit" (a page-rounded LONG_MAX) are 0.
std::optional<uint64_t> limit_value(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  if (*text == "max" || *text == "-1") return 0;
  try {
    const uint64_t v = std::stoull(*text);
    return v >= (1ULL << 62) ? 0 : v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::string ProcessFacts::subject() const {
  return "pid " + std::to_string(pid) + (status.name.empty() ? "" : " (" + status.name + ")");
}

ProcessFacts read_process(pid_t pid, bool fetch_filters) {
  ProcessFacts f;
  f.pid = pid;
  f.status = read_status(pid);
  f.namespaces = read_namespaces(pid);
  f.cgroups = read_cgroups(pid);
  f.uid_map = read_id_map(pid, "uid_map");
  f.gid_map = read_id_map(pid, "gid_map");
  f.lsm_label = read_lsm_label(pid);
  f.mounts = read_mountinfo("/proc/" + std::to_string(pid) + "/mountinfo");
  f.arches = names::default_target_arches();
  if (fetch_filters) {
    try {
      f.filters = fetch_seccomp_filters(pid);
      f.filters_read = true;
    } catch (const Error& e) {
      f.filters_error = e.what();
    }
  }
  return f;
}

std::optional<uint64_t> memory_limit(const ProcessFacts& f) {
  if (auto v = limit_value(cgroup_file(f, "memory.limit_in_bytes"))) return v;
  return limit_value(cgroup_file(f, "memory.max"));
}

std::optional<uint64_t> pids_limit(const ProcessFacts& f) {
  return limit_value(cgroup_file(f, "pids.max"));
}

uint32_t id_inside(const std::optional<std::string>& map, uint32_t outside) {
  if (!map) return outside;
  std::istringstream in(*map);
  for (uint64_t inside, out, count; in >> inside >> out >> count;)
    if (outside >= out && outside - out < count)
      return static_cast<uint32_t>(inside + outside - out);
  return outside;
}

audit::Posture posture_of(const ProcessFacts& f) {
  audit::Posture p;
  p.subject = f.subject();
  p.kind = audit::Posture::Kind::Process;
  const std::string proc = "/proc/" + std::to_string(f.pid);
  const auto origin = [](const std::string& where) { return audit::Origin{{}, where}; };

  p.seccomp.known = f.filters_read || f.status.seccomp_mode == 0;
  p.seccomp.filters = f.filters;
  p.seccomp.arches = f.arches;
  p.seccomp.origin = origin(proc + "/status Seccomp: and PTRACE_SECCOMP_GET_FILTER");
  if (!p.seccomp.known && !f.filters_error.empty())
    p.assumptions.push_back("seccomp filters unknown: " + f.filters_error);

  if (f.status.caps) p.capabilities = {f.status.caps, origin(proc + "/status Cap*:")};
  p.no_new_privs = {f.status.no_new_privs, origin(proc + "/status NoNewPrivs:")};
  if (f.status.uid.size() > 1 && f.status.gid.size() > 1) {
    const uint32_t uid = id_inside(f.uid_map, f.status.uid[1]);
    const uint32_t gid = id_inside(f.gid_map, f.status.gid[1]);
    p.user = {std::to_string(uid) + ":" + std::to_string(gid), origin(proc + "/status Uid:, Gid:")};
  }
  if (f.uid_map)
    p.root_is_unprivileged_on_host = {root_is_unprivileged(*f.uid_map), origin(proc + "/uid_map")};
  std::vector<audit::NamespaceFact> ns;
  for (const NamespaceInfo& n : f.namespaces)
    ns.push_back({n.kind, n.host ? audit::Sharing::Host : audit::Sharing::Own,
                  std::to_string(n.inode), origin(proc + "/ns/" + n.kind)});
  if (!ns.empty()) p.namespaces = {ns, origin(proc + "/ns")};

  const audit::Origin cg = origin(proc + "/cgroup");
  p.memory_limit = {memory_limit(f), cg};
  p.pids_limit = {pids_limit(f), cg};
  {
    const auto quota = cgroup_file(f, "cpu.cfs_quota_us"), max = cgroup_file(f, "cpu.max");
    const auto shares = cgroup_file(f, "cpu.shares"), weight = cgroup_file(f, "cpu.weight");
    if (quota || max || shares || weight)
      p.cpu_limited = {(quota && *quota != "-1") || (max && max->rfind("max", 0) != 0) ||
                           (shares && *shares != "1024") || (weight && *weight != "100"),
                       cg};
  }
  for (const CgroupInfo& c : f.cgroups)
    if (c.controllers == "devices" && !c.dir.empty()) {
      std::optional<std::string> list;
      runtime::UniqueFd fd(::open((c.dir + "/devices.list").c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.valid()) list = runtime::try_read_fd(fd.get(), 1 << 20);
      if (list)
        p.devices_restricted = {list->rfind("a *:* rwm", 0) != 0, origin(c.dir + "/devices.list")};
    }
  // No LSM label at all: no AppArmor on this kernel, so no profile.
  p.apparmor_profile = {f.lsm_label.value_or(""), origin(proc + "/attr/current")};
  p.landlock.origin = origin("the kernel does not tell whether a process is in a Landlock domain");
  if (f.mounts) {
    const audit::Origin mi = origin(proc + "/mountinfo");
    if (const MountInfo* root = mount_of(*f.mounts, "/")) p.readonly_rootfs = {!root->writable, mi};
    if (const MountInfo* m = mount_of(*f.mounts, "/proc/sys"))
      p.proc_sys_writable = {m->writable, mi};
    if (const MountInfo* m = mount_of(*f.mounts, "/sys")) p.sys_writable = {m->writable, mi};
    bool masked = true;
    for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"}) {
      const MountInfo* m = mount_of(*f.mounts, path);
      masked = masked && m && m->target == path;
    }
    p.docker_masked_paths = {masked, mi};
    std::vector<audit::MountFact> mounts;
    for (const MountInfo& m : *f.mounts)
      mounts.push_back({m.root == "/" ? m.fstype : m.source + ":" + m.root, m.target, m.root != "/",
                        m.writable, mi});
    p.mounts = {mounts, mi};
  }
  return p;
}

audit::Posture posture_of_process(pid_t pid) {
  const ProcessFacts f = read_process(pid);
  if (!f.filters_read && f.status.seccomp_mode != 0) throw Error(f.filters_error);
  return posture_of(f);
}

}  // namespace policy::inspect
