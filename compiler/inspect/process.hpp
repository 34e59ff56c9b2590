// What confines a live process, read from the kernel (`policyc inspect PID`, `policyrun inspect`,
// `policyc audit pid:N`): /proc/PID/{status,ns/*,cgroup,attr,uid_map,gid_map,mountinfo}, the
// cgroup files, and the seccomp filters fetched with PTRACE_SECCOMP_GET_FILTER.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "compiler/audit/posture.hpp"
#include "compiler/inspect/proc.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::inspect {

struct ProcessFacts {
  pid_t pid = 0;
  StatusInfo status;
  std::vector<NamespaceInfo> namespaces;
  std::vector<CgroupInfo> cgroups;
  std::optional<std::string> uid_map, gid_map;
  std::optional<std::string> lsm_label;
  std::optional<std::vector<MountInfo>> mounts;  // nullopt: mountinfo unreadable
  // The seccomp filters in the order they were installed (the kernel's index); when they could not
  // be fetched, filters_error says why (and filters is empty).
  bool filters_read = false;
  std::string filters_error;
  std::vector<seccomp::Program> filters;
  // The architectures calls are judged on: the host's native one and its compat ones.
  std::vector<uint32_t> arches;

  std::string subject() const;  // "pid 1234 (nginx)"
};

// Reads everything inspection shows. Throws policy::Error when there is no such process; a
// filter fetch that fails is recorded in filters_error (the rest is still worth showing).
ProcessFacts read_process(pid_t pid, bool fetch_filters = true);

// The same facts as an audit::Posture; what /proc does not tell (Landlock, sysctls) is unknown.
audit::Posture posture_of(const ProcessFacts& facts);
// Throws policy::Error naming the pid and what to do when the process is gone, not readable, or
// its filters cannot be fetched.
audit::Posture posture_of_process(pid_t pid);

// Limits read from the process's cgroup files: bytes / count, 0 for "max" (no limit); nullopt
// when no hierarchy of the process has the file.
std::optional<uint64_t> memory_limit(const ProcessFacts& facts);
std::optional<uint64_t> pids_limit(const ProcessFacts& facts);

// The uid (or gid) inside the process's user namespace for an id the inspector sees, through
// uid_map / gid_map ("0 100000 65536": 100000 -> 0); the id itself when the map is missing.
uint32_t id_inside(const std::optional<std::string>& map, uint32_t outside);

}  // namespace policy::inspect
