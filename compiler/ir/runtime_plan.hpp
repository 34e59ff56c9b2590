// What policyrun builds around the process: namespaces, root filesystem, mounts, cgroup limits,
// process attributes, and the names of a namespace; runtime/ turns it into system calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::ir {

enum class NamespaceKind { Mount, Pid, Uts, Ipc, Net, Cgroup, User, Time };

// A namespace's names: the policy language's and the plan JSON's ("mount"), the kernel's entry in
// /proc/PID/ns/ ("mnt"), and its CLONE_NEW* flag (from <sched.h>; also setns's nstype).
const char* namespace_name(NamespaceKind kind);
const char* namespace_proc_name(NamespaceKind kind);
int clone_flag(NamespaceKind kind);
// The kind a policy names: by its language name or its /proc/PID/ns/ name ("mnt"); nullopt when
// neither. namespace_spellings() lists every accepted name (for "did you mean").
std::optional<NamespaceKind> namespace_kind(std::string_view name);
std::vector<std::string> namespace_spellings();

// A namespace the container does not share with the host. A kind the plan does not list is the
// host's (`pid host` in a policy removes it).
struct NamespaceSpec {
  NamespaceKind kind;
  std::string join_path;  // empty: create a new one; else setns() to e.g. /proc/PID/ns/net
  SourceLoc loc;
  // `net container db`: the namespace of running container db's first process, resolved by
  // policyrun through its container store when it launches (into join_path).
  std::string container;
  bool creates() const { return join_path.empty() && container.empty(); }
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

// Docker's masked and read-only paths (moby oci/defaults.go MaskedPaths, ReadonlyPaths), what
// `docker-defaults` in a rootfs section adds.
const std::vector<std::string>& docker_masked_paths();
const std::vector<std::string>& docker_readonly_paths();

struct RootfsPlan {
  bool readonly = false;
  bool use_chroot = false;          // pivot_root unless the policy asks for chroot
  std::vector<MountSpec> mounts;    // extra mounts (tmpfs /tmp size=64M, binds)
  std::vector<std::string> masked_paths;    // Docker's masked paths (bind /dev/null or empty tmpfs)
  std::vector<std::string> readonly_paths;  // Docker's read-only paths
  bool nosuid = false;                      // the root mount: `root nosuid nodev`
  bool nodev = false;
  SourceLoc loc;
};

// "tmpfs", "bind", "proc", "sysfs", "devpts", "mqueue": as the policy and the plan JSON write it.
const char* mount_kind_name(MountSpec::Kind kind);

// One `allow` line of the devices section: the v1 devices controller's "type major:minor access".
struct DeviceRule {
  enum Type : char { All = 'a', Char = 'c', Block = 'b' } type = All;
  int64_t major = -1, minor = -1;  // -1: any ('*')
  enum Access : uint8_t { Read = 1, Write = 2, Mknod = 4 };
  uint8_t access = 0;  // Read | Write | Mknod
  SourceLoc loc;
};

// Docker's allowlist (runc's default cgroup rules under moby's DefaultLinuxSpec): mknod of any
// node, read/write/mknod of null, zero, full, random, urandom, tty, console, ptmx and the pts.
inline std::vector<DeviceRule> default_device_rules() {
  constexpr uint8_t rwm = DeviceRule::Read | DeviceRule::Write | DeviceRule::Mknod;
  return {{DeviceRule::Char, -1, -1, DeviceRule::Mknod, {}},
          {DeviceRule::Block, -1, -1, DeviceRule::Mknod, {}},
          {DeviceRule::Char, 1, 3, rwm, {}},      // /dev/null
          {DeviceRule::Char, 1, 5, rwm, {}},      // /dev/zero
          {DeviceRule::Char, 1, 7, rwm, {}},      // /dev/full
          {DeviceRule::Char, 1, 8, rwm, {}},      // /dev/random
          {DeviceRule::Char, 1, 9, rwm, {}},      // /dev/urandom
          {DeviceRule::Char, 5, 0, rwm, {}},      // /dev/tty
          {DeviceRule::Char, 5, 1, rwm, {}},      // /dev/console
          {DeviceRule::Char, 5, 2, rwm, {}},      // /dev/ptmx
          {DeviceRule::Char, 136, -1, rwm, {}}};  // /dev/pts/*
}

// The devices the container may create and open; every other device is refused (devices cgroup
// on v1, a BPF_PROG_TYPE_CGROUP_DEVICE program on v2). Without a `devices` section a policy
// gets Docker's allowlist (default_device_rules).
struct DevicePlan {
  bool specified = false;  // a devices section replaced the default rules
  std::vector<DeviceRule> rules = default_device_rules();
  // `allow a *:* rwm` among the rules: nothing to enforce.
  bool unrestricted() const {
    for (const DeviceRule& r : rules)
      if (r.type == DeviceRule::All && r.major < 0 && r.minor < 0 && r.access == 7) return true;
    return false;
  }
};

// A namespaced kernel setting written in the container's own /proc/sys (`sysctl` section).
struct Sysctl {
  std::string key;    // net.ipv4.ping_group_range
  std::string value;  // "0 2147483647"
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
  DevicePlan devices;  // devices cgroup (v1) or BPF device program (v2)
  SourceLoc loc;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_* value from <sys/resource.h>
  uint64_t soft = 0, hard = 0;  // RLIM_INFINITY allowed
  SourceLoc loc;
};

struct ProcessPlan {
  bool no_new_privileges = true;
  std::optional<uint32_t> uid, gid;      // unset: `user`, else the image's User, else 0
  // `user redis` or `user redis:redis`: looked up in the image when the container starts; set
  // only when uid and gid are not.
  std::optional<std::string> user;
  std::vector<uint32_t> supplementary_groups;
  std::optional<std::string> hostname;
  std::vector<Rlimit> rlimits;
  std::map<std::string, std::string> env;  // added to / overriding the image's Env
  std::optional<std::string> cwd;
  bool init = false;  // a minimal init as PID 1 (docker run --init)
  SourceLoc loc;
};

}  // namespace policy::ir
