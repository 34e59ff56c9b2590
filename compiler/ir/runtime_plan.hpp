// What policyrun builds around the process: namespaces, root filesystem, mounts, cgroup limits,
// process attributes. Pure data; runtime/ turns it into system calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::ir {

enum class NamespaceKind { Mount, Pid, Uts, Ipc, Net, Cgroup, User, Time };

struct NamespaceSpec {
  NamespaceKind kind;
  std::string join_path;  // empty: create a new one; else setns() to e.g. /proc/PID/ns/net
  SourceLoc loc;
};

struct IdMap {
  uint32_t inside = 0, outside = 0, count = 1;
};

struct NamespacePlan {
  std::vector<NamespaceSpec> namespaces;
  std::vector<IdMap> uid_map, gid_map;  // user namespace only
  bool has(NamespaceKind k) const {
    for (auto& n : namespaces)
      if (n.kind == k) return true;
    return false;
  }
};

struct MountSpec {
  enum Kind { Tmpfs, Bind, Proc, Sysfs, Devpts, Mqueue } kind = Tmpfs;
  std::string source;        // host path for Bind
  std::string target;        // path inside the container
  std::vector<std::string> options;  // "ro", "nosuid", "size=64M", "mode=1777"...
  SourceLoc loc;
};

struct RootfsPlan {
  bool readonly = false;
  bool use_chroot = false;          // pivot_root unless the policy asks for chroot
  std::vector<MountSpec> mounts;    // extra mounts (tmpfs /tmp size=64M, binds)
  std::vector<std::string> masked_paths;    // Docker's masked paths (bind /dev/null or empty tmpfs)
  std::vector<std::string> readonly_paths;  // Docker's read-only paths
  SourceLoc loc;
};

struct ResourceLimits {
  std::optional<uint64_t> memory_bytes;       // memory.limit_in_bytes / memory.max
  std::optional<uint64_t> memory_swap_bytes;  // memory+swap (v1 memsw) / memory.swap.max = swap-memory
  std::optional<uint64_t> cpu_shares;         // cpu.shares (v1); v2 weight derived as runc does
  std::optional<uint64_t> cpu_weight;         // cpu.weight (v2); v1 shares derived
  std::optional<int64_t> cpu_quota_us;        // cpu.cfs_quota_us / cpu.max
  std::optional<uint64_t> cpu_period_us;
  std::optional<uint64_t> pids;               // pids.max
  std::optional<std::string> cpuset_cpus;     // cpuset.cpus
  std::optional<std::string> cpuset_mems;
  SourceLoc loc;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_* value from <sys/resource.h>
  uint64_t soft = 0, hard = 0;  // RLIM_INFINITY allowed
  SourceLoc loc;
};

struct ProcessPlan {
  bool no_new_privileges = true;
  std::optional<uint32_t> uid, gid;      // unset: the image's User, else 0
  std::vector<uint32_t> supplementary_groups;
  std::optional<std::string> hostname;
  std::vector<Rlimit> rlimits;
  std::map<std::string, std::string> env;  // added to / overriding the image's Env
  std::optional<std::string> cwd;
  bool init = false;  // a minimal init as PID 1 (docker run --init)
  SourceLoc loc;
};

}  // namespace policy::ir
