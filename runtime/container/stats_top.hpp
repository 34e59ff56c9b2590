// `policyrun top`: the processes of a container as the host sees them (`docker top`), found in
// the run's own cgroups (the union of their cgroup.procs), else in its init's pid namespace.
// docs/containers.md "top".
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/container/store.hpp"

namespace policy::container::stats {

struct Process {
  pid_t pid = 0, ppid = 0;  // host pids
  uid_t uid = 0;            // effective uid, as ps shows it
  std::string user;         // its name in the host's passwd, else the number
  uint64_t cpu_ticks = 0;   // utime + stime, USER_HZ
  std::string time;         // [DD-]HH:MM:SS, as ps prints TIME
  std::string cmd;          // the command line; [comm] when it has none (a kernel-style name)
};

// The container's processes, ordered by pid. Empty when its init is gone.
std::vector<Process> processes(const State& s);

// Rows aligned in columns three spaces apart, as Docker prints its tables (the first is the
// header); the last column is not padded.
std::string table(const std::vector<std::vector<std::string>>& rows);

}  // namespace policy::container::stats
