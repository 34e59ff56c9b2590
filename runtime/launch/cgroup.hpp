// cgroups: detection of the host's layout (v1, v2 or hybrid, from /proc/self/mountinfo and
// /proc/filesystems, never assumed) and one run's cgroup, created only under a `policyrun/<id>`
// subtree, filled with the policy's limits before the child continues, removed after it exits.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"

namespace policy::launch::cgroup {

enum class Mode { None, V1, V2, Hybrid };
const char* mode_name(Mode m);

struct Layout {
  Mode mode = Mode::None;
  std::map<std::string, std::string> v1_mounts;  // controller ("memory") -> mount point
  std::map<std::string, std::string> v1_roots;   // controller -> mount's root within hierarchy
  std::string v2_mount;                          // empty when no cgroup2 is mounted
  std::string v2_root;
  std::set<std::string> v2_controllers;  // cgroup.controllers of the v2 mount
};

// Reads /proc/self/mountinfo, /proc/filesystems and /proc/cgroups.
Layout detect();
// Pure parser (tested on the host's real files and on text from other layouts).
Layout parse_layout(const std::string& mountinfo, const std::string& proc_cgroups);

// The caller's own cgroup path in a hierarchy ("memory" or "" for v2), from /proc/self/cgroup.
std::string own_path(const std::string& proc_self_cgroup, const std::string& controller);

// cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000), as runc converts.
uint64_t shares_to_weight(uint64_t shares);
uint64_t weight_to_shares(uint64_t weight);

struct Events {
  uint64_t oom_kills = 0;      // memory.oom_control / memory.events "oom_kill"
  uint64_t pids_max_hits = 0;  // pids.events "max"
};

// One run's cgroup: its directory in every hierarchy it uses. Built by the v1 / v2 backends.
class RunCgroup {
 public:
  RunCgroup() = default;
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;
  ~RunCgroup() { destroy(); }

  void attach(pid_t pid);  // writes the pid to every cgroup.procs; before the child continues
  Events events() const;
  const std::vector<std::string>& dirs() const { return dirs_; }
  std::vector<pid_t> pids() const;
  // Kills what is left (they are ours), removes the run's directories and, when empty, the
  // policyrun/ directories above them. Never throws; safe to call twice.
  void destroy() noexcept;
  // Leaves the directories in place for another process to remove (the OCI runtime's `delete`):
  // destroy() then does nothing.
  void keep() noexcept {
    dirs_.clear();
    parents_.clear();
  }

  // Filled by the backends.
  std::vector<std::string> dirs_;     // <hierarchy>/.../policyrun/<id>
  std::vector<std::string> parents_;  // <hierarchy>/.../policyrun
  std::string oom_file, oom_key;      // memory.oom_control "oom_kill" or memory.events "oom_kill"
  std::string pids_events_file;       // pids.events "max"
};

// Creates <hierarchy>/<own cgroup>/policyrun/<run_id> where needed and writes the limits and the
// device rules (v1 devices controller where mounted, else a v2 BPF device program).
// Throws policy::Error (fail closed) when a requested limit has no controller on this host.
std::unique_ptr<RunCgroup> create(const Layout& layout, const std::string& run_id,
                                  const ir::ResourceLimits& limits);

// Writes "policyrun: the container ..." lines for OOM kills and pids-limit hits.
void report(const Events& e, const ir::ResourceLimits& limits, std::ostream& out);

// Backends (cgroup_v1.cpp, cgroup_v2.cpp).
std::unique_ptr<RunCgroup> create_v1(const Layout& layout, const std::string& run_id,
                                     const ir::ResourceLimits& limits, bool track_in_v2);
std::unique_ptr<RunCgroup> create_v2(const Layout& layout, const std::string& run_id,
                                     const ir::ResourceLimits& limits);

// Helpers shared by the backends.
void kill_and_remove(const std::string& dir) noexcept;
// mkdir <parent>/policyrun and <parent>/policyrun/<id>, recorded in rc for removal. A run that
// ends removes policyrun/ when it is left empty, which can fall anywhere in these steps: on
// ENOENT they are done again, `prepare(base)` (run between the two mkdirs) included.
std::string make_run_dir(RunCgroup& rc, const std::string& parent, const std::string& run_id,
                         const std::function<void(const std::string& base)>& prepare = {});
// <mount> + own path relative to the mount's root.
std::string own_dir(const std::string& mount, const std::string& mount_root,
                    const std::string& own);
uint64_t read_key(const std::string& file, const std::string& key);  // "key N" lines; 0 if absent

}  // namespace policy::launch::cgroup
