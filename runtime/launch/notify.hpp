// Seccomp user notification (SECCOMP_RET_USER_NOTIF): the kernel's way for a supervisor outside
// the container to see a system call before it runs and to answer it. policyrun uses it twice:
// - explain mode (runtime/launch/denials.hpp): the filter answers USER_NOTIF where the policy
//   refuses with an errno, and for the file calls that Landlock may refuse; the supervisor names
//   the rule (file:line:col), replies with the policy's errno or lets the call run (CONTINUE);
// - learn mode (runtime/launch/learn.hpp): the filter answers USER_NOTIF for every call; the
//   supervisor records the call and lets it run.
// The filter is installed in the child with SECCOMP_FILTER_FLAG_NEW_LISTENER as the last step
// before execve, as always; the parent takes the listener with pidfd_getfd (docs/runtime.md,
// "Explained refusals"), so no syscall of the child has to be allowed for the hand-over.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/launch/fds.hpp"  // UniqueFd

namespace policy::launch::notify {

// One notified system call, decoded by the supervisor.
struct Call {
  uint64_t id = 0;    // the kernel's cookie (seccomp_notif.id)
  pid_t pid = 0;      // in the supervisor's pid namespace
  uint32_t arch = 0;  // AUDIT_ARCH_* as seccomp_data.arch
  int nr = 0;         // as the filter saw it (x32 calls carry the x32 bit)
  std::string name;   // libseccomp's name for (arch, nr), or "syscall_<nr>"
  uint64_t args[6] = {};
  // The path arguments of file calls (open, openat, openat2, execve, execveat, mkdir*, unlink*,
  // rename*, link*, symlink*, chmod*, chown*, truncate, stat-family, access-family...), read
  // from the caller's memory and made absolute against its cwd or dirfd, as the container sees
  // them. Empty when the call has none or the memory could not be read.
  std::string path, path2;
  // bind/connect: the socket address, when AF_INET/AF_INET6/AF_UNIX ("127.0.0.1:80", "[::]:80",
  // "/run/x.sock", "@abstract"); family is sa_family (0 when not read).
  int family = 0;
  std::string address;
  int port = -1;
};

// The supervisor's answer to one call.
struct Reply {
  enum Kind { Continue, Error } kind = Continue;
  int error = 0;  // errno for Error (0: the call returns 0 without running)
};

// The child's side, called where seccomp::install is: installs `program` with
// SECCOMP_FILTER_FLAG_NEW_LISTENER, then waits on `handoff_fd` until the parent has taken the
// listener (a byte 'k'), and closes handoff_fd. Before installing, it writes the listener's fd
// number (the lowest free descriptor) to handoff_fd as a native int.
void install_with_listener(const std::vector<sock_filter>& program, int handoff_fd);

// The parent's side: reads the fd number from `handoff_fd`, takes the listener from the child
// with pidfd_getfd once the child has installed its filter (polling every millisecond, up to
// `timeout_ms`), and writes 'k'. Returns an invalid fd when the child exits (or closes
// `handoff_fd`) before its listener could be taken: the child failed a step of its setup and its
// own report (the launch's error pipe) says why. Throws LaunchError when the time is up or the
// kernel refuses pidfd_getfd.
UniqueFd take_listener(int pidfd, int handoff_fd, int timeout_ms = 5000);

// Receives one notification from `listener` (non-blocking: nullopt when none is pending or the
// call's process died before it was read) and decodes it into a Call.
std::optional<Call> receive(int listener);

// Sends `reply` for `call`. A call whose process died in between is not an error. An Error reply
// with errno 0 makes the call return 0 without running, as the filter's errno(0) does.
void respond(int listener, const Call& call, const Reply& reply);

// True for the argument names (syscall_args.hpp) whose value is a path the kernel resolves:
// Call::path and Call::path2 are the first two such arguments of a call.
bool is_path_argument(std::string_view name);

// The path behind the magic link /proc/PID/LINK (cwd, exe, root, fd/N) as the process sees it:
// a chroot-ed process's links carry its root's prefix, which is taken off (a pivot_root-ed one's
// do not), and a removed file's " (deleted)" is dropped. "" when the link names no path (a socket,
// a pipe, an anonymous inode) or cannot be read.
std::string process_link(pid_t pid, const std::string& link);

// `path` (absolute, as the container sees it) with its symlinks resolved inside the caller's
// root (/proc/PID/root, openat2 RESOLVE_IN_ROOT), as the kernel would resolve it for that
// process. A path that does not exist is its parent resolved plus its last name (exists false).
struct Resolved {
  std::string path;
  bool exists = false;
  bool directory = false;
};
Resolved resolve_in_container(pid_t pid, const std::string& path);

// What the supervisor does with each call: explain mode (denials.hpp) and learn mode (learn.hpp)
// each implement one. on_call runs in the supervising parent while the calling thread waits.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Reply on_call(const Call& call) = 0;
};

// Receives, answers and responds to a notification pending on `listener` (call it each time poll
// reports POLLIN: a further pending one makes poll report again). POLLHUP on the listener means
// every process under the filter has exited: the caller stops polling it.
void serve_pending(int listener, Handler& handler);

}  // namespace policy::launch::notify
