// policyrun's launch engine: runs one command in a container built from image layers, with every
// layer of a compiled policy applied in the order of docs/runtime.md ("The recipe").
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/error.hpp"
#include "compiler/ir/policy.hpp"
#include "runtime/launch/apparmor.hpp"
#include "runtime/launch/identity.hpp"
#include "runtime/launch/landlock.hpp"
#include "runtime/launch/notify.hpp"

namespace policy::launch {

// Exit codes of policyrun itself (Docker's conventions; docs/runtime.md "Exit codes").
inline constexpr int kExitRuntimeError = 125;  // the runtime failed before the command ran
inline constexpr int kExitCannotInvoke = 126;  // the command exists but cannot be executed
inline constexpr int kExitNotFound = 127;      // the command was not found in the container

// A failure that stopped the launch before the command ran. exit_code() is what policyrun exits
// with: 125, or 126/127 when execve itself failed.
class LaunchError : public Error {
 public:
  LaunchError(const std::string& message, int sys_errno, int exit_code)
      : Error(message, sys_errno), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// What the caller learns while launch() runs, and what it adds to the supervision: the container
// store of `policyrun run` and the detached supervisor of `run -d` (runtime/container/). Every
// method is called in the parent, in the order declared.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // The child exists (its namespaces too) but has not started its setup: the network helper
  // (pasta) configures the new network namespace here. An observer that wants this call makes
  // the launch fork instead of spawning (the parent must run while the child waits).
  virtual bool wants_created() const { return false; }
  virtual void created(pid_t /*pid*/, int /*pidfd*/) {}
  // The command has started (its execve succeeded): host pid, pidfd, the run's cgroup dirs.
  struct Started {
    std::string run_id;
    pid_t pid = -1;
    int pidfd = -1;
    std::vector<std::string> cgroup_dirs;
  };
  virtual void started(const Started& /*run*/) {}
  // Extra descriptors the supervision polls (a detached container's output pipes);
  // readable(fd) is called when one is readable or hung up, and returns false to stop watching
  // it. Asked once, after started().
  virtual std::vector<int> watched_fds() { return {}; }
  virtual bool readable(int /*fd*/) { return false; }
};

struct LaunchRequest {
  const ir::Policy* policy = nullptr;       // required
  std::vector<sock_filter> seccomp_filter;  // compiled for this host; empty = no seccomp layer
  std::vector<std::string> lower_dirs;      // image layers, lowest first (never written)
  std::vector<std::string> argv;            // argv[0] is looked up as given (absolute or PATH)
  std::vector<std::string> env;             // "K=V", exactly the environment of the command
  std::string cwd = "/";                    // inside the container
  std::string user;   // the image's User or -u: NAME|UID[:GROUP|GID]; the policy's ids win
  bool tty = false;   // allocate a pty in the container's devpts
  bool init = false;  // or-ed with policy->process.init
  std::string state_root = "/var/lib/policyrun";  // per-run state lives in <state_root>/run/<id>
  std::string run_id;  // names the state dir and the cgroup policyrun/<id>; empty: random
  AppArmorMode apparmor = AppArmorMode::Auto;        // CLI --apparmor (runtime/launch/apparmor.hpp)
  LandlockMode landlock = LandlockMode::BestEffort;  // CLI --landlock (runtime/launch/landlock.hpp)
  int stdin_fd = 0, stdout_fd = 1, stderr_fd = 2;    // the container's stdio (ignored with tty)
  int diagnostics_fd = 2;  // where the runtime reports OOM kills, warnings
  // Seccomp user notification (runtime/launch/notify.hpp): when set, seccomp_filter is installed
  // with a listener (its USER_NOTIF actions reach this handler) and policyrun answers every
  // notification with the handler's reply while the command runs. Explain mode (denials.hpp)
  // and learn mode each provide one; the filter is theirs to build.
  notify::Handler* notify = nullptr;
  // --verbose: also write the enforcement report to diagnostics_fd (AppArmor's fallback table,
  // Landlock rules the kernel's ABI cannot enforce, paths missing in the container).
  bool verbose = false;
  // The container's address, the containers sharing its network and its nameservers, for its
  // /etc/hosts and /etc/resolv.conf (runtime/container/network.hpp; docs/networking.md).
  identity::NetworkNames network;
  // The container store's hooks, the network helper's...: each is called in this order.
  std::vector<RunObserver*> observers;

  // ---- the OCI runtime's `create` (runtime/oci/, docs/oci-runtime.md) ----
  // Filters installed before seccomp_filter, oldest first (an OCI config's linux.seccomp under
  // the policy of its annotation): the kernel runs them all and the strictest verdict wins.
  std::vector<std::vector<sock_filter>> extra_filters;
  // A root filesystem used as it is (an OCI bundle's root.path), instead of lower_dirs' overlay.
  std::string rootfs_dir;
  // Docker's identity files and variables: a hostname of the run id, /etc/hostname, /etc/hosts,
  // /etc/resolv.conf written into the root, HOSTNAME in the environment. An OCI runtime writes
  // none of them (the engine bind-mounts its own).
  bool docker_identity = true;
  // Detached creation (`create`): >= 0, the read end of a FIFO opened O_RDWR. The container's
  // process is set up entirely, then reads one byte from it before its execve (`start` writes
  // it); launch() returns as soon as the process waits there (the observers' started() has
  // its pid and cgroups), leaves it running and unsupervised, without a parent-death signal,
  // and leaves its cgroups in place for the caller to remove (`delete`).
  int start_fd = -1;
  // With tty and start_fd: the pty master is sent to this Unix socket (SCM_RIGHTS), as runc's
  // --console-socket; the caller's engine then holds the terminal.
  std::string console_socket;
};

// Must be called from a single-threaded process (it clones like fork() without glibc's fork
// handlers); refuses otherwise. Blocks the forwarded signals and SIGCHLD while it runs.
// Runs the command and returns its exit status (128+N when killed by signal N). Throws
// LaunchError (or policy::Error) when the container could not be set up; in that case the
// command never ran, and everything the launch created has been removed again.
int launch(const LaunchRequest& request);

}  // namespace policy::launch
