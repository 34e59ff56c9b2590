#include "compiler/inspect/filters.hpp"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compiler/common/error.hpp"
#include "compiler/inspect/proc.hpp"

namespace policy::inspect {

namespace {

std::string who(pid_t pid) {
  return "inspect: pid " + std::to_string(pid);
}

// Lets the process go on every path out of the fetch.
class Seized {
 public:
  explicit Seized(pid_t pid) : pid_(pid) {}
  Seized(const Seized&) = delete;
  Seized& operator=(const Seized&) = delete;
  ~Seized() {
    if (gone_) return;
    // PTRACE_DETACH needs a ptrace-stop: ask again and wait for it, at most about a second (the
    // kernel detaches anyway when the inspector exits).
    if (!stopped_) {
      ::ptrace(PTRACE_INTERRUPT, pid_, nullptr, nullptr);
      for (int i = 0; i < 1000 && !stopped_ && !gone_; ++i) {
        if (!wait_stop(WNOHANG)) break;
        if (!stopped_) ::usleep(1000);
      }
    }
    // ptrace(2) takes the signal to deliver in its data pointer.
    if (!gone_)
      ::ptrace(PTRACE_DETACH, pid_, nullptr,
               reinterpret_cast<void*>(long{signal_}));  // NOLINT(performance-no-int-to-ptr)
  }
  // Waits for the stop PTRACE_INTERRUPT asked for. false when the process ended meanwhile.
  // With WNOHANG, true and nothing changed while the process has not stopped yet.
  bool wait_stop(int flags = 0) {
    int status = 0;
    while (true) {
      const pid_t r = ::waitpid(pid_, &status, __WALL | flags);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return gone_ = true, false;
      if (r == 0) return true;  // WNOHANG: not yet
      break;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) return gone_ = true, false;
    stopped_ = true;
    // A signal-delivery-stop caught first: the signal is handed back on detach.
    if (WIFSTOPPED(status) && (status >> 16) != PTRACE_EVENT_STOP) signal_ = WSTOPSIG(status);
    return true;
  }

 private:
  pid_t pid_;
  bool stopped_ = false, gone_ = false;
  int signal_ = 0;
};

}  // namespace

std::vector<seccomp::Program> fetch_seccomp_filters(pid_t pid) {
  if (pid <= 0) throw Error(who(pid) + " is not a process id");
  if (pid == ::getpid())
    throw Error(who(pid) + " is this inspector itself; inspect another process");
  const StatusInfo status = read_status(pid);  // throws when there is no such process
  if (status.state == 'Z' || status.state == 'X')
    throw Error(who(pid) + " (" + status.name +
                ") has exited and is not yet reaped (a zombie): it has no filters left to read");
  if (status.seccomp_mode == 0) return {};
  if (::ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) != 0) {
    const int e = errno;
    if (e == ESRCH) throw Error(who(pid) + ": no such process (it may have just exited)", e);
    throw Error(who(pid) + ": PTRACE_SEIZE failed: " + std::strerror(e) +
                    (e == EPERM ? " (the process is already traced, or this inspector lacks "
                                  "CAP_SYS_PTRACE over it: run as root)"
                                : ""),
                e);
  }
  Seized seized(pid);
  if (::ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr) != 0 || !seized.wait_stop())
    throw Error(who(pid) + " exited while being inspected");
  std::vector<seccomp::Program> filters;
  for (unsigned long index = 0;; ++index) {
    // ptrace(2) takes the filter's index in its address pointer.
    const long n = ::ptrace(PTRACE_SECCOMP_GET_FILTER, pid,
                            reinterpret_cast<void*>(index),  // NOLINT(performance-no-int-to-ptr)
                            nullptr);
    if (n < 0 && errno == ENOENT) break;
    if (n < 0) {
      const int e = errno;
      std::string why = std::strerror(e);
      if (e == EACCES)
        why += " (reading filters needs CAP_SYS_ADMIN, and an inspector not under seccomp itself)";
      else if (e == EINVAL && index == 0)
        why +=
            " (the process is not in seccomp filter mode, or the kernel lacks "
            "CONFIG_SECCOMP_FILTER and CONFIG_CHECKPOINT_RESTORE)";
      else if (e == EMEDIUMTYPE)
        why += " (an eBPF filter, not classic BPF)";
      throw Error(
          who(pid) + ": PTRACE_SECCOMP_GET_FILTER " + std::to_string(index) + " failed: " + why, e);
    }
    seccomp::Program prog(static_cast<size_t>(n));
    if (::ptrace(PTRACE_SECCOMP_GET_FILTER, pid,
                 reinterpret_cast<void*>(index),  // NOLINT(performance-no-int-to-ptr)
                 prog.data()) != n)
      throw Error(who(pid) + ": PTRACE_SECCOMP_GET_FILTER " + std::to_string(index) +
                      " changed size between two reads",
                  errno);
    filters.push_back(std::move(prog));
  }
  return filters;
}

}  // namespace policy::inspect
