// The steps a container's process and an exec'd process share (launch.cpp's child_main and
// exec.cpp): the child's failure report to the parent, the working directory checked inside the
// root, no_new_privs, the filter (with or without a notification listener), the parent-death
// signal, the environment, and the execve with its 126/127 exit codes.
#pragma once

#include <linux/filter.h>
#include <signal.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/launch/fds.hpp"
#include "runtime/launch/notify.hpp"

namespace policy::launch::confine {

// ---- the child's report to the parent: errno, exit code, message, over a CLOEXEC pipe ----
struct ReportHeader {
  int32_t sys_errno;
  int32_t exit_code;
  uint32_t length;
};
void report_failure(int fd, int sys_errno, int exit_code, const std::string& message);
// Reads until EOF: nothing means the execve succeeded (the pipe was CLOEXEC). Notifications
// that arrive meanwhile (the setup's own calls under the filter, the execve) are answered.
bool read_failure(int fd, ReportHeader& h, std::string& message, int listener,
                  notify::Handler* handler);

// Every signal to its default disposition, none blocked: the command starts clean.
void reset_signals();

// `base` ("K=V") with the keys of `overrides` replaced (the policy's env wins).
std::vector<std::string> merge_env(const std::vector<std::string>& base,
                                   const std::map<std::string, std::string>& overrides);

// The working directory: resolved inside the root (magic links such as /proc/self/fd/N
// refused), created when missing on a writable root.
void prepare_cwd(int root, const std::string& cwd, bool readonly);
// chdir, then check that the kernel sees the cwd inside the root (CVE-2024-21626).
void enter_cwd(const std::string& cwd);

void no_new_privs();

// The filter; with `handoff` >= 0 (a supervised filter) with a listener handed to the parent.
void install_filter(const std::vector<sock_filter>& filter, bool supervised, int handoff);

// The process dies with the policyrun that supervises it (PR_SET_PDEATHSIG), and exits now if it
// already has: `error_write` is the write end of a pipe whose read end the parent holds.
void die_with_parent(int error_write, bool must_arm);

// Writes `log`'s text to fd and empties it.
void flush(std::ostringstream& log, int fd);

// Signals reset, then execve with a PATH search in `env`; on failure reports to error_write
// (127: not found, 126: cannot be executed; error_write < 0: a line on stderr) and exits.
[[noreturn]] void exec_or_report(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& env, int error_write);

// A clone behaves like fork() without glibc's fork handlers, so a lock another thread held at
// that moment would stay locked in the child: refuses (LaunchError, 125) with more threads.
void require_single_thread(const char* who);

// The parent-child channels of a launch and of an exec: the CLOEXEC error pipe (the child's
// failure report; EOF = its execve succeeded), the tty socket pair (-t: the pty master comes
// back), the seccomp listener's hand-over pair (a supervised filter).
struct Channels {
  UniqueFd error_read, error_write, tty_parent, tty_child, handoff_parent, handoff_child;
  void open(bool tty, bool notify);
  void close_child_ends();  // the parent's, once the child has them
};

// Blocks `block` for the life of this object (the forwarded signals, read through a signalfd).
struct SignalMask {
  sigset_t saved;
  explicit SignalMask(const sigset_t& block) { ::sigprocmask(SIG_BLOCK, &block, &saved); }
  ~SignalMask() { ::sigprocmask(SIG_SETMASK, &saved, nullptr); }
  SignalMask(const SignalMask&) = delete;
  SignalMask& operator=(const SignalMask&) = delete;
};

}  // namespace policy::launch::confine
