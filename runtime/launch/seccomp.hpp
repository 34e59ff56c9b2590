// Installs the compiled seccomp program: the very last protection before execve.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace policy::launch::seccomp {

// seccomp(SECCOMP_SET_MODE_FILTER, flags). Without no_new_privs the caller must hold
// CAP_SYS_ADMIN. Returns the system call's result: the listener's fd with
// SECCOMP_FILTER_FLAG_NEW_LISTENER (runtime/launch/notify.hpp), else 0 (also for an empty
// program, which installs nothing).
int install(const std::vector<sock_filter>& program, unsigned flags = 0);

}  // namespace policy::launch::seccomp
