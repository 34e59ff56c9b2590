// Installs the compiled seccomp program: the very last protection before execve.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace policy::launch::seccomp {

// seccomp(SECCOMP_SET_MODE_FILTER). Without no_new_privs the caller must hold CAP_SYS_ADMIN.
void install(const std::vector<sock_filter>& program);

}  // namespace policy::launch::seccomp
