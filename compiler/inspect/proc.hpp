// The /proc readers of inspection: what the kernel says about one live process, file by file
// (/proc/PID/{status,ns/*,cgroup,uid_map,gid_map,attr}) and the cgroup files of its hierarchies.
// Used by `policyc inspect`, `policyc audit pid:N` and `policyrun inspect`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/capability_sets.hpp"

namespace policy::inspect {

struct NamespaceInfo {
  std::string kind;  // as /proc/PID/ns/ names it: mnt, pid, net, ipc, uts, user, cgroup, time
  uint64_t inode = 0;
  // The same namespace as pid 1's (the host's, when the inspector runs on the host); when pid 1's
  // cannot be read, as the inspector's own.
  bool host = false;
  bool inspector = false;  // the same as the inspecting process's own
};
// Every /proc/PID/ns/* entry, sorted by kind (the *_for_children links left out).
std::vector<NamespaceInfo> read_namespaces(pid_t pid);

struct CgroupInfo {
  std::string controllers;  // "memory", "cpu,cpuacct", "name=systemd"; "" for cgroup v2
  std::string path;         // as /proc/PID/cgroup says, inside the hierarchy
  std::string dir;          // the host directory; "" when the hierarchy is not mounted here
  std::map<std::string, std::string> limits;  // limit file -> its contents (memory.max, ...)
  std::map<std::string, std::string> usage;   // usage file -> its contents (memory.current, ...)
};
// One entry per line of /proc/PID/cgroup (v1, v2 and hybrid hosts), each with the limit and
// usage files present in its directory, found through the inspector's /proc/self/mountinfo.
std::vector<CgroupInfo> read_cgroups(pid_t pid);
// The limit and usage files present in one cgroup directory.
std::map<std::string, std::string> cgroup_limits(const std::string& dir);
std::map<std::string, std::string> cgroup_usage(const std::string& dir);

struct StatusInfo {
  std::string name;  // Name:
  char state = '?';  // State: R, S, D, Z, ...
  std::optional<ir::CapabilitySets> caps;
  std::optional<bool> no_new_privs;
  int seccomp_mode = -1;               // 0 disabled, 1 strict, 2 filter; -1 not shown
  std::optional<int> seccomp_filters;  // Seccomp_filters: (Linux 5.9+)
  std::vector<uint32_t> uid, gid;      // real, effective, saved, filesystem
};
// /proc/PID/status. Throws policy::Error naming the pid when there is no such process.
StatusInfo read_status(pid_t pid);
// "disabled", "strict", "filter", or "unknown".
const char* seccomp_mode_name(int mode);

// The lines of /proc/PID/uid_map or gid_map ("0 0 4294967295" on the host), nullopt when
// unreadable.
std::optional<std::string> read_id_map(pid_t pid, const std::string& which);
// True when uid 0 inside maps to a uid other than 0 outside (a user namespace whose root is not
// the host's root); nullopt when the map cannot be read or does not map 0.
std::optional<bool> root_is_unprivileged(const std::string& uid_map);

// One mount (a line of /proc/PID/mountinfo).
struct MountInfo {
  std::string root;    // the mounted directory inside its file system ("/" for a whole one)
  std::string target;  // where, as the process sees it
  std::string fstype;
  std::string source;
  std::string super_options;  // the file system's options (a cgroup v1 mount's controllers)
  bool writable = false;
};
// The mounts of `mountinfo` ("/proc/PID/mountinfo", "/proc/self/mountinfo"); nullopt when it
// cannot be read.
std::optional<std::vector<MountInfo>> read_mountinfo(const std::string& mountinfo);

// The LSM label: /proc/PID/attr/apparmor/current (Linux 5.8+, stacked LSMs), else
// /proc/PID/attr/current; nullopt when neither can be read (no LSM that sets one).
std::optional<std::string> read_lsm_label(pid_t pid);

}  // namespace policy::inspect
