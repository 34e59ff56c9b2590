#include "compiler/driver/plan_json.hpp"

#include "compiler/caps/capability_formats.hpp"

namespace policy::driver {

namespace {

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

}  // namespace

nlohmann::json plan_to_json(const ir::Policy& p) {
  nlohmann::json j;
  j["policy"] = p.name;
  auto& ns = j["namespaces"] = nlohmann::json::array();
  for (auto& n : p.namespaces.namespaces) {
    nlohmann::json e{{"type", ir::namespace_name(n.kind)}};
    if (!n.join_path.empty()) e["path"] = n.join_path;
    if (!n.container.empty()) e["container"] = n.container;
    ns.push_back(e);
  }
  auto maps = [](const std::vector<ir::IdMap>& m) {
    nlohmann::json a = nlohmann::json::array();
    for (auto& e : m)
      a.push_back({{"containerID", e.inside}, {"hostID", e.outside}, {"size", e.count}});
    return a;
  };
  if (!p.namespaces.uid_map.empty()) j["uidMappings"] = maps(p.namespaces.uid_map);
  if (!p.namespaces.gid_map.empty()) j["gidMappings"] = maps(p.namespaces.gid_map);

  auto& root = j["rootfs"];
  root["readonly"] = p.rootfs.readonly;
  root["pivot"] = p.rootfs.use_chroot ? "chroot" : "pivot_root";
  root["maskedPaths"] = p.rootfs.masked_paths;
  root["readonlyPaths"] = p.rootfs.readonly_paths;
  root["options"] = nlohmann::json::array();
  if (p.rootfs.nosuid) root["options"].push_back("nosuid");
  if (p.rootfs.nodev) root["options"].push_back("nodev");
  auto& mounts = root["mounts"] = nlohmann::json::array();
  for (auto& m : p.rootfs.mounts) {
    nlohmann::json e{
        {"type", ir::mount_kind_name(m.kind)}, {"destination", m.target}, {"options", m.options}};
    if (!m.source.empty()) e["source"] = m.source;
    mounts.push_back(e);
  }

  auto& r = j["resources"] = nlohmann::json::object();
  put(r, "memory", p.resources.memory_bytes);
  put(r, "memorySwap", p.resources.memory_swap_bytes);
  put(r, "cpuShares", p.resources.cpu_shares);
  put(r, "cpuWeight", p.resources.cpu_weight);
  put(r, "cpuQuota", p.resources.cpu_quota_us);
  put(r, "cpuPeriod", p.resources.cpu_period_us);
  put(r, "pids", p.resources.pids);
  put(r, "cpusetCpus", p.resources.cpuset_cpus);
  put(r, "cpusetMems", p.resources.cpuset_mems);
  // As the OCI runtime spec writes linux.resources.devices: deny everything, then the allowlist.
  auto& devs = r["devices"] = nlohmann::json::array();
  devs.push_back({{"allow", false}, {"access", "rwm"}});
  for (const ir::DeviceRule& d : p.resources.devices.rules) {
    std::string access;
    if (d.access & ir::DeviceRule::Read) access += 'r';
    if (d.access & ir::DeviceRule::Write) access += 'w';
    if (d.access & ir::DeviceRule::Mknod) access += 'm';
    nlohmann::json e{{"allow", true}, {"type", std::string(1, static_cast<char>(d.type))}};
    if (d.major >= 0) e["major"] = d.major;
    if (d.minor >= 0) e["minor"] = d.minor;
    e["access"] = access;
    devs.push_back(e);
  }
  if (!p.sysctls.empty()) {
    auto& sc = j["sysctl"] = nlohmann::json::object();
    for (const ir::Sysctl& x : p.sysctls) sc[x.key] = x.value;
  }

  auto& proc = j["process"];
  proc["noNewPrivileges"] = p.process.no_new_privileges;
  put(proc, "uid", p.process.uid);
  put(proc, "gid", p.process.gid);
  put(proc, "user", p.process.user);
  if (!p.process.supplementary_groups.empty())
    proc["additionalGids"] = p.process.supplementary_groups;
  put(proc, "hostname", p.process.hostname);
  put(proc, "cwd", p.process.cwd);
  proc["init"] = p.process.init;
  if (!p.process.env.empty()) proc["env"] = p.process.env;
  auto& rl = proc["rlimits"] = nlohmann::json::array();
  for (auto& l : p.process.rlimits)
    rl.push_back({{"resource", l.resource}, {"soft", l.soft}, {"hard", l.hard}});
  proc["capabilities"] = caps::to_oci(p.capabilities);
  return j;
}

}  // namespace policy::driver
