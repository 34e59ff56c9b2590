// What `stop`, `kill`, `rm` and `wait` do to a container: signals to its first process (through
// a pidfd checked to be that process), SIGKILL to everything in its cgroups, and waiting for its
// supervisor, which records the exit before it goes. docs/containers.md "Commands".
#pragma once

#include <string>

#include "runtime/container/store.hpp"

namespace policy::container {

// Sends `sig` to the container's first process; false when it has already exited.
bool signal_init(const State& s, int sig);
// SIGKILL to every process of the container: cgroup.kill where the kernel has it (v2), else each
// pid in cgroup.procs of each of its cgroup directories (only policyrun/<id> ones), and its first
// process.
void kill_all(const State& s);
// Waits until the container's first process has exited, at most `timeout_ms` (-1: no limit);
// true when it has.
bool wait_init(const State& s, int timeout_ms);
// Waits until the container's supervisor is gone (it has recorded the exit by then), at most
// `timeout_ms` (-1: no limit); true when it is.
bool wait_supervisor(const State& s, int timeout_ms);
// "KILL", "SIGKILL", "kill" or "9" -> 9, by the C library's signal names (sigabbrev_np). Throws
// policy::Error for anything else.
int signal_number(const std::string& name);

// "Up 5 seconds", "Exited (0) 3 minutes ago", "Created": ps's STATUS column, Docker's words.
std::string status_text(const State& s, int64_t now_ns);

}  // namespace policy::container
