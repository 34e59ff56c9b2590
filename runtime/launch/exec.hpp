// `policyrun exec`'s engine: runs one more command in a running container, in every one of its
// namespaces and cgroups, at its root, under the very confinement its first process got
// (docs/runtime.md "exec"). The caller (runtime/cli/exec.cpp) finds the container in the store
// and hands over its first process (a pidfd checked to be it), its cgroups and its stored policy.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/launch/apparmor.hpp"
#include "runtime/launch/landlock.hpp"
#include "runtime/launch/notify.hpp"

namespace policy::launch {

struct ExecRequest {
  pid_t pid = 0;   // host pid of the container's first process
  int pidfd = -1;  // a pidfd of that process (container::open_init): whose namespaces we join
  const ir::Policy* policy = nullptr;       // the container's compiled policy (required)
  std::vector<sock_filter> seccomp_filter;  // the very filter the container got
  std::vector<std::string> cgroup_dirs;     // the container's cgroup directories (host paths)
  std::vector<std::string> argv;            // argv[0] looked up in env's PATH when relative
  std::vector<std::string> env;  // the container's environment plus -e; the policy's env wins
  std::string cwd = "/";         // inside the container, absolute
  std::string user;  // as the container's run got it (image User or -u): the policy's ids win
  bool tty = false;  // a pty from the container's devpts
  int stdin_fd = 0, stdout_fd = 1, stderr_fd = 2;  // ignored with tty (stdin_fd is relayed)
  int diagnostics_fd = 2;
  AppArmorMode apparmor = AppArmorMode::Auto;
  LandlockMode landlock = LandlockMode::BestEffort;
  // When the filter answers USER_NOTIF (explain mode): this policyrun serves the calls of the
  // exec'd process, so it gets the errno the policy gives (denials::Explainer). Required then.
  notify::Handler* notify = nullptr;
  bool verbose = false;
  // Filters installed before seccomp_filter, oldest first (launch.hpp's extra_filters).
  std::vector<std::vector<sock_filter>> extra_filters;
  // The OCI runtime's `exec --detach`: when set, exec_in_container returns 0 as soon as the
  // command has started, stores its host pid here and leaves it running without a parent-death
  // signal (the engine that called the runtime reaps it).
  pid_t* detached_pid = nullptr;
  // With tty: the pty master goes to this Unix socket (--console-socket) instead of being relayed.
  std::string console_socket;
};

// Must be called from a single-threaded process. Returns the command's exit status (128+N when
// killed by signal N); throws LaunchError (125, or 126/127 when execve failed) when the command
// could not be started, in which case it never ran.
int exec_in_container(const ExecRequest& request);

}  // namespace policy::launch
