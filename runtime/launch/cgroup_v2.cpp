// cgroup v2: one directory in the unified hierarchy. Controllers are enabled only in the
// cgroup.subtree_control of the policyrun/ directory this file creates.
#include <sys/stat.h>

#include <set>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/devices.hpp"
#include "runtime/launch/files.hpp"

namespace policy::launch::cgroup {
namespace {

std::set<std::string> words(const std::string& path) {
  std::set<std::string> out;
  for (const auto& line : runtime::split(files::try_read(path).value_or(""), '\n'))
    for (auto& w : runtime::split(line, ' '))
      if (!w.empty()) out.insert(std::move(w));
  return out;
}

}  // namespace

std::unique_ptr<RunCgroup> create_v2(const Layout& layout, const std::string& run_id,
                                     const ir::ResourceLimits& lim) {
  std::set<std::string> needed;
  if (lim.memory_bytes || lim.memory_swap_bytes) needed.insert("memory");
  if (lim.cpu_shares || lim.cpu_weight || lim.cpu_quota_us || lim.cpu_period_us)
    needed.insert("cpu");
  if (lim.pids) needed.insert("pids");
  if (lim.cpuset_cpus || lim.cpuset_mems) needed.insert("cpuset");

  const std::string self = files::read("/proc/self/cgroup");
  // Our own cgroup when it delegates the controllers to its children, else the hierarchy's root
  // (the root is exempt from the no-internal-processes rule), as Docker's cgroupfs driver does.
  std::string parent = own_dir(layout.v2_mount, layout.v2_root, own_path(self, ""));
  auto delegated = [&](const std::string& dir) {
    auto sub = words(dir + "/cgroup.subtree_control");
    for (const auto& c : needed)
      if (!sub.count(c)) return false;
    return true;
  };
  if (!delegated(parent) && parent != layout.v2_mount) parent = layout.v2_mount;
  if (!delegated(parent)) {
    auto avail = words(parent + "/cgroup.subtree_control");
    for (const auto& c : needed)
      if (!avail.count(c))
        throw Error("resources: the limits need the cgroup v2 '" + c +
                    "' controller, but it is not enabled in " + parent +
                    "/cgroup.subtree_control; enable it (echo +" + c + " > " + parent +
                    "/cgroup.subtree_control) or remove the limit from the policy");
  }

  auto rc = std::make_unique<RunCgroup>();
  // memory and pids also account runs without limits (OOM and fork-failure reports); cpu and io
  // give `policyrun stats` the run's I/O and `policyrun update` a cpu.max to write later.
  const std::string d = make_run_dir(*rc, parent, run_id, [&](const std::string& base) {
    std::set<std::string> enable = needed;
    auto avail = words(base + "/cgroup.controllers");
    for (const char* c : {"memory", "pids", "cpu", "io"})
      if (avail.count(c)) enable.insert(c);
    std::string control;
    for (const auto& c : enable) control += (control.empty() ? "+" : " +") + c;
    if (!control.empty()) files::write(base + "/cgroup.subtree_control", control);
  });

  auto ctrls = words(d + "/cgroup.controllers");
  if (ctrls.count("memory")) {
    rc->oom_file = d + "/memory.events";
    rc->oom_key = "oom_kill";
  }
  if (ctrls.count("pids")) rc->pids_events_file = d + "/pids.events";
  if (lim.memory_bytes) files::write(d + "/memory.max", std::to_string(*lim.memory_bytes));
  if (lim.memory_bytes || lim.memory_swap_bytes) {
    // memory.swap.max is swap alone; the policy's memory.swap is memory+swap (v1 memsw).
    uint64_t swap = 0;
    if (lim.memory_swap_bytes && lim.memory_bytes && *lim.memory_swap_bytes > *lim.memory_bytes)
      swap = *lim.memory_swap_bytes - *lim.memory_bytes;
    else if (lim.memory_swap_bytes && !lim.memory_bytes)
      swap = *lim.memory_swap_bytes;
    if (files::exists(d + "/memory.swap.max"))
      files::write(d + "/memory.swap.max", std::to_string(swap));
    else if (lim.memory_swap_bytes)
      throw Error("resources: memory.swap needs " + d +
                  "/memory.swap.max (swap accounting); enable swap accounting or remove "
                  "memory.swap from the policy");
  }
  uint64_t weight = lim.cpu_weight   ? *lim.cpu_weight
                    : lim.cpu_shares ? shares_to_weight(*lim.cpu_shares)
                                     : 0;
  if (weight) files::write(d + "/cpu.weight", std::to_string(weight));
  if (lim.cpu_quota_us || lim.cpu_period_us) {
    std::string quota =
        lim.cpu_quota_us && *lim.cpu_quota_us > 0 ? std::to_string(*lim.cpu_quota_us) : "max";
    files::write(d + "/cpu.max",
                 quota + " " + std::to_string(lim.cpu_period_us ? *lim.cpu_period_us : 100000));
  }
  if (lim.pids) files::write(d + "/pids.max", std::to_string(*lim.pids));
  if (lim.cpuset_cpus) files::write(d + "/cpuset.cpus", *lim.cpuset_cpus);
  if (lim.cpuset_mems) files::write(d + "/cpuset.mems", *lim.cpuset_mems);
  // cgroup v2 has no devices controller: a device program decides instead.
  if (!lim.devices.unrestricted()) devices::attach_v2(d, lim.devices.rules);
  return rc;
}

}  // namespace policy::launch::cgroup
