// What confines a live process, read from the kernel (`policyc inspect PID`, `policyrun inspect`,
// `policyc audit pid:N`): /proc/PID/{status,ns/*,cgroup,attr,uid_map,gid_map,mountinfo}, the
// cgroup files, and the seccomp filters fetched with PTRACE_SECCOMP_GET_FILTER.
#pragma once

#include <sys/types.h>

#include "compiler/audit/posture.hpp"

namespace policy::inspect {

// Throws policy::Error naming the pid and what to do when the process is gone or not readable.
audit::Posture posture_of_process(pid_t pid);

}  // namespace policy::inspect
