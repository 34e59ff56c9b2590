// cgroup v1: one directory per controller hierarchy (memory, pids, cpu, cpuacct, blkio; cpuset and
// devices for the policy's limits), each under the caller's own cgroup of that hierarchy, so the
// run stays inside whatever accounts for its caller.
#include <set>

#include "compiler/common/error.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/devices.hpp"
#include "runtime/launch/files.hpp"

namespace policy::launch::cgroup {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A new cpuset cgroup starts with empty cpus/mems and refuses tasks until they are set.
void inherit_cpuset(const std::string& dir) {
  auto parent = dir.substr(0, dir.rfind('/'));
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    if (trim(files::read(dir + "/" + f)).empty())
      files::write(dir + "/" + f, trim(files::read(parent + "/" + f)));
  }
}

void need(const Layout& l, const std::string& ctrl, const char* what) {
  if (!l.v1_mounts.count(ctrl))
    throw Error(std::string("resources: ") + what + " needs the cgroup v1 '" + ctrl +
                "' controller, which is not mounted on this host (no cgroup hierarchy with '" +
                ctrl + "' in /proc/self/mountinfo); mount it or remove the limit from the policy");
}

}  // namespace

std::unique_ptr<RunCgroup> create_v1(const Layout& layout, const std::string& run_id,
                                     const ir::ResourceLimits& lim, bool track_in_v2) {
  const bool want_mem = lim.memory_bytes || lim.memory_swap_bytes;
  const bool want_cpu = lim.cpu_shares || lim.cpu_weight || lim.cpu_quota_us || lim.cpu_period_us;
  const bool want_cpuset = lim.cpuset_cpus || lim.cpuset_mems;
  if (want_mem) need(layout, "memory", "a memory limit");
  if (lim.pids) need(layout, "pids", "a pids limit");
  if (want_cpu) need(layout, "cpu", "a cpu limit");
  if (want_cpuset) need(layout, "cpuset", "a cpuset");

  const std::string self = files::read("/proc/self/cgroup");
  auto rc = std::make_unique<RunCgroup>();
  std::set<std::string> done_mounts;  // co-mounted controllers (cpu,cpuacct) share one directory
  auto dir_for = [&](const std::string& ctrl) -> std::string {
    const std::string& mnt = layout.v1_mounts.at(ctrl);
    std::string parent = own_dir(mnt, layout.v1_roots.at(ctrl), own_path(self, ctrl));
    if (done_mounts.count(mnt)) return parent + "/policyrun/" + run_id;
    done_mounts.insert(mnt);
    return make_run_dir(*rc, parent, run_id);
  };

  // memory and pids are always used when present: they account the run and report OOM kills
  // and fork failures even when the policy sets no limit.
  if (layout.v1_mounts.count("memory")) {
    std::string d = dir_for("memory");
    rc->oom_file = d + "/memory.oom_control";
    rc->oom_key = "oom_kill";
    if (lim.memory_bytes)
      files::write(d + "/memory.limit_in_bytes", std::to_string(*lim.memory_bytes));
    const bool memsw = files::exists(d + "/memory.memsw.limit_in_bytes");
    if (lim.memory_swap_bytes && !memsw)
      throw Error("resources: memory.swap needs swap accounting, but " + d +
                  "/memory.memsw.limit_in_bytes does not exist; boot with swapaccount=1 or remove "
                  "memory.swap from the policy");
    if (memsw && (lim.memory_swap_bytes || lim.memory_bytes)) {
      // Without an explicit memory.swap the container gets no swap at all (stricter than
      // Docker's default of as much swap as memory).
      uint64_t v = lim.memory_swap_bytes ? *lim.memory_swap_bytes : *lim.memory_bytes;
      files::write(d + "/memory.memsw.limit_in_bytes", std::to_string(v));
    }
  }
  if (layout.v1_mounts.count("pids")) {
    std::string d = dir_for("pids");
    rc->pids_events_file = d + "/pids.events";
    if (lim.pids) files::write(d + "/pids.max", std::to_string(*lim.pids));
  }
  // cpu, cpuacct and blkio too: the run's own CPU time and I/O (policyrun stats) and a cpu
  // directory that `policyrun update` can limit later, whether the policy sets a limit or not.
  for (const char* ctrl : {"cpu", "cpuacct", "blkio"})
    if (layout.v1_mounts.count(ctrl)) dir_for(ctrl);
  if (want_cpu) {
    std::string d = dir_for("cpu");
    uint64_t shares = lim.cpu_shares   ? *lim.cpu_shares
                      : lim.cpu_weight ? weight_to_shares(*lim.cpu_weight)
                                       : 0;
    if (shares) files::write(d + "/cpu.shares", std::to_string(shares));
    if (lim.cpu_period_us)
      files::write(d + "/cpu.cfs_period_us", std::to_string(*lim.cpu_period_us));
    if (lim.cpu_quota_us) files::write(d + "/cpu.cfs_quota_us", std::to_string(*lim.cpu_quota_us));
  }
  if (want_cpuset) {
    std::string d = dir_for("cpuset");
    inherit_cpuset(d.substr(0, d.rfind('/')));
    inherit_cpuset(d);
    if (lim.cpuset_cpus) files::write(d + "/cpuset.cpus", *lim.cpuset_cpus);
    if (lim.cpuset_mems) files::write(d + "/cpuset.mems", *lim.cpuset_mems);
  }
  const bool restrict_devices = !lim.devices.unrestricted();
  const bool v1_devices = layout.v1_mounts.count("devices") > 0;
  if (restrict_devices && v1_devices) {
    // Deny everything, then allow the policy's rules (the controller keeps an allowlist).
    std::string d = dir_for("devices");
    files::write(d + "/devices.deny", "a");
    std::vector<std::string> lines;
    for (const ir::DeviceRule& r : lim.devices.rules) lines.push_back(devices::v1_line(r));
    files::write_each(d + "/devices.allow", lines);
  }
  if (track_in_v2 && !layout.v2_mount.empty()) {
    // Hybrid host: also place the run in the unified hierarchy (no controllers there), which
    // gives it a cgroup.kill for a race-free cleanup and a named v2 cgroup as runc does.
    std::string parent = own_dir(layout.v2_mount, layout.v2_root, own_path(self, ""));
    std::string d = make_run_dir(*rc, parent, run_id);
    // Without a v1 devices controller the v2 device program restricts the devices.
    if (restrict_devices && !v1_devices) devices::attach_v2(d, lim.devices.rules);
  } else if (restrict_devices && !v1_devices) {
    throw Error(
        "devices: the policy restricts devices but this host has neither the cgroup v1 "
        "'devices' controller nor a cgroup2 hierarchy for a BPF device program; mount one of "
        "them, or write 'devices { allow a *:* rwm }' to give the container every device");
  }
  return rc;
}

}  // namespace policy::launch::cgroup
