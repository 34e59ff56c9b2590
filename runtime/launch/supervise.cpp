#include "runtime/launch/supervise.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <utility>
#include <vector>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/init.hpp"
#include "runtime/launch/tty.hpp"

namespace policy::launch::supervise {
namespace {

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

void signal_child(const namespaces::Child& c, int sig) {
  ::syscall(SYS_pidfd_send_signal, c.pidfd.get(), sig, nullptr, 0);
}

// Copies what is readable on `from` to `to`; false at end of file or error (EIO: every slave of
// a pty is closed).
bool relay(int from, int to) {
  char buf[4096];
  ssize_t k = ::read(from, buf, sizeof buf);
  if (k <= 0) return false;
  if (to >= 0 && ::write(to, buf, static_cast<size_t>(k)) < 0) {
  }
  return true;
}

// The terminal and the hangup grace, with the state they keep between polls.
struct Terminal {
  int master, in, out;
  bool relay_in;
};

struct Hangup {
  bool hung_up = false, killed = false;
  struct timespec deadline {};
  void start() {
    hung_up = true;
    ::clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += kHangupGraceMs / 1000;
    deadline.tv_nsec += (kHangupGraceMs % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
      deadline.tv_sec += 1;
      deadline.tv_nsec -= 1000000000L;
    }
  }
  int timeout_ms() const {  // poll's timeout: -1 without a pending grace
    if (!hung_up || killed) return -1;
    struct timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (deadline.tv_sec - now.tv_sec) * 1000 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
    return ms > 0 ? static_cast<int>(ms) : 0;
  }
};

}  // namespace

sigset_t forwarded_set() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : kForwarded) sigaddset(&s, sig);
  return s;
}

int run(namespaces::Child& c, const Supervision& s) {
  // The user's terminal in raw mode while it drives the container's pty, at its size.
  tty::RawMode raw(s.tty_master >= 0 ? s.tty_in : -1);
  if (s.tty_master >= 0) tty::copy_window_size(s.tty_in, s.tty_master);
  runtime::UniqueFd sfd(::signalfd(-1, &s.forward, SFD_CLOEXEC));
  if (!sfd.valid()) throw sys_error("signalfd for forwarding signals to the container");
  Terminal term{s.tty_master, s.tty_in, s.tty_out, s.tty_master >= 0};
  Hangup hangup;
  int listener = s.listener;
  // The observers' fds, each with its owner.
  std::vector<std::pair<int, RunObserver*>> watched;
  for (RunObserver* o : s.observers)
    for (int fd : o->watched_fds()) watched.emplace_back(fd, o);
  auto readable = [&](size_t i) {  // false when watched[i] is done
    return watched[i].second->readable(watched[i].first);
  };
  enum { kChild, kSignal, kMaster, kIn, kListener, kFixed };
  for (;;) {
    std::vector<struct pollfd> pf = {{c.pidfd.get(), POLLIN, 0},
                                     {sfd.get(), POLLIN, 0},
                                     {term.master, POLLIN, 0},
                                     {term.relay_in ? term.in : -1, POLLIN, 0},
                                     {listener, POLLIN, 0}};
    for (const auto& w : watched) pf.push_back({w.first, POLLIN, 0});
    int n = ::poll(pf.data(), pf.size(), hangup.timeout_ms());
    if (n == 0 && hangup.hung_up && !hangup.killed) {  // the grace after a hangup is over
      signal_child(c, SIGKILL);
      hangup.killed = true;
      continue;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("poll while supervising the container");
    }
    if (pf[kListener].revents & POLLIN) notify::serve_pending(listener, *s.handler);
    if (pf[kListener].revents & (POLLHUP | POLLERR)) listener = -1;  // every caller has exited
    if (pf[kSignal].revents & POLLIN) {
      struct signalfd_siginfo si;
      if (::read(sfd.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH && term.master >= 0) tty::copy_window_size(term.in, term.master);
        if (sig == SIGHUP && !hangup.hung_up) hangup.start();
        signal_child(c, sig);
      }
    }
    if (term.master >= 0 && (pf[kMaster].revents & (POLLIN | POLLHUP | POLLERR)) &&
        !relay(term.master, term.out))
      term.master = -1;
    if (term.relay_in && (pf[kIn].revents & (POLLIN | POLLHUP | POLLERR)) &&
        !relay(term.in, term.master))
      term.relay_in = false;
    for (size_t i = pf.size(); i-- > kFixed;)
      if ((pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && !readable(i - kFixed))
        watched.erase(watched.begin() + static_cast<long>(i - kFixed));
    if (pf[kChild].revents & POLLIN) break;
  }
  if (term.master >= 0) {  // what the command wrote just before exiting is still in the pty
    ::fcntl(term.master, F_SETFL, ::fcntl(term.master, F_GETFL) | O_NONBLOCK);
    while (relay(term.master, term.out)) {
    }
  }
  // And what it wrote to the watched pipes: what is there now (a process that outlived the
  // command may keep a pipe open; nothing waits for it).
  while (!watched.empty()) {
    std::vector<struct pollfd> pf;
    for (const auto& w : watched) pf.push_back({w.first, POLLIN, 0});
    if (::poll(pf.data(), pf.size(), 0) <= 0) break;
    for (size_t i = pf.size(); i-- > 0;)
      if ((pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && !readable(i))
        watched.erase(watched.begin() + static_cast<long>(i));
  }
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  c.pid = -1;
  if (hangup.killed) return 128 + SIGHUP;
  return init::exit_code(status);
}

}  // namespace policy::launch::supervise
