// What confines one process, or would confine a container started from a policy or a profile:
// the facts every audit check reads (compiler/audit/audit.hpp). Built from a compiled policy or an
// imported profile (compiler/audit/from_policy.hpp) or read from the kernel for a live process
// (compiler/inspect/process.hpp). Every fact says whether the input tells it at all (a seccomp
// JSON says nothing about namespaces) and where it comes from (a rule's file:line:col, a JSON path,
// a /proc file), so that a finding can point at its cause.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/common/source.hpp"
#include "compiler/ir/capability_sets.hpp"
#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::audit {

// Where a fact comes from: a rule of a policy (loc known), or a place in another input
// ("syscalls[12]" of a seccomp JSON, "/proc/1234/status", "Docker's runtime default").
struct Origin {
  SourceLoc loc;
  std::string where;  // used when loc is unknown
  // "file:line:col" when the location is known, else `where`.
  std::string str() const { return loc.known() ? loc.str() : where; }
};

// One fact about the confinement; nullopt value: the input does not say.
template <class T>
struct Fact {
  std::optional<T> value;
  Origin origin;
  bool known() const { return value.has_value(); }
};

enum class Sharing {
  Own,     // a namespace of the container's own
  Host,    // the host's (not unshared, `KIND host`, or the same inode as pid 1's)
  Joined,  // another container's or a path's (`net container db`, `net join /run/netns/x`)
};

struct NamespaceFact {
  std::string kind;  // mount, pid, net, ipc, uts, user, cgroup, time (as /proc/PID/ns names them)
  Sharing sharing = Sharing::Own;
  std::string detail;  // inode number, joined container or path
  Origin origin;
};

struct MountFact {
  std::string source;  // host path of a bind mount; "tmpfs", "proc", ... otherwise
  std::string target;  // inside the container
  bool bind = false;   // a host directory or file made visible inside
  bool writable = false;
  Origin origin;
};

// The seccomp layer: the filters the kernel runs for every call. With several filters the kernel
// runs them all and the most restrictive verdict wins (seccomp(2), "return values").
struct SeccompFacts {
  bool known = false;                     // false: the input does not say (e.g. an AppArmor profile)
  std::vector<seccomp::Program> filters;  // known and empty: no filter (seccomp mode 0)
  // The architectures calls are judged on (libseccomp tokens), native first: a policy's targets,
  // or for a live process the host's native arch and its compat arches.
  std::vector<uint32_t> arches;
  // The IR the filter was compiled from, when the posture comes from a policy or profile: which
  // rule decides a call (seccomp::decide_rule), for locations. nullopt for a live process.
  std::optional<ir::SeccompPolicy> policy;
  // For rules of `policy` without a source location (imported from a seccomp JSON), where each
  // comes from ("moby.json syscalls[12]"), in the order of policy->rules; empty otherwise.
  std::vector<std::string> rule_origins;
  Origin origin;  // the syscalls section, the JSON file, "/proc/PID/status Seccomp:"
};

struct Posture {
  std::string subject;  // "policy web (policies/web.pol)", "pid 1234 (nginx)"
  enum class Kind { Policy, SeccompProfile, AppArmorProfile, Process } kind = Kind::Policy;
  // What the posture takes from somewhere other than the input, said in the output, e.g.
  // "namespaces, mounts and capabilities: Docker's runtime defaults (policies/docker-default.pol)".
  std::vector<std::string> assumptions;

  SeccompFacts seccomp;
  Fact<ir::CapabilitySets> capabilities;
  Fact<bool> no_new_privs;
  // The user the process runs as: "0", "101:101", or a name looked up in the image ("nginx").
  // Unknown when the policy leaves it to the image.
  Fact<std::string> user;
  // uid 0 inside is mapped to an unprivileged host uid (a user namespace): root there is not root.
  Fact<bool> root_is_unprivileged_on_host;
  Fact<std::vector<NamespaceFact>> namespaces;  // every kind, own or shared
  Fact<uint64_t> memory_limit;                  // bytes; 0: no limit
  Fact<uint64_t> pids_limit;                    // 0: no limit
  Fact<bool> cpu_limited;                       // a cpu quota or shares/weight is set
  Fact<bool> devices_restricted;                // a devices cgroup/BPF program with an allowlist
  Fact<std::string> apparmor_profile;           // "" or "unconfined": none
  Fact<bool> landlock;                          // a Landlock ruleset is applied
  Fact<bool> readonly_rootfs;
  Fact<bool> proc_sys_writable;                 // /proc/sys writable from inside
  Fact<bool> sys_writable;                      // /sys writable from inside
  Fact<bool> docker_masked_paths;               // Docker's masked and read-only /proc, /sys paths
  Fact<std::vector<MountFact>> mounts;
  Fact<std::vector<std::pair<std::string, std::string>>> sysctls;  // key, value
};

}  // namespace policy::audit
