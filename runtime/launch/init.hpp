// A minimal init for PID 1 of the container (plan.init, docker run --init): the runtime's child
// forks the command, then stays as PID 1 to forward signals and reap zombies. It is not a re-exec
// of policyrun: no fd to, and no exec of, the runtime's binary ever exists in the container
// (CVE-2019-5736), and PID 1 is made non-dumpable so /proc/1/exe and /proc/1/mem stay closed.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace policy::launch::init {

// Converts a wait status into an exit code: the exit status, or 128+N for signal N.
int exit_code(int wait_status);

// Runs as PID 1 until `command` exits; `forward` (and SIGCHLD) must be blocked by the caller.
// Never returns: exits with the command's exit code.
[[noreturn]] void run(pid_t command, const sigset_t& forward);

}  // namespace policy::launch::init
