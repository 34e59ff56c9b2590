// The parent's last step: while the container runs, policyrun forwards signals to it, relays its
// terminal, answers seccomp notifications (explain and learn modes) and polls what the caller
// watches (a detached container's output); then reaps it. A hangup (the user's terminal closed)
// gives the container SIGHUP and kHangupGraceMs to exit before it is killed, as a shell's job.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "runtime/launch/launch.hpp"
#include "runtime/launch/namespaces.hpp"

namespace policy::launch::supervise {

inline constexpr int kHangupGraceMs = 5000;

// The signals policyrun forwards to the container (blocked during the launch, read through a
// signalfd while supervising).
sigset_t forwarded_set();

struct Supervision {
  sigset_t forward;
  int tty_master = -1;  // the container's pty master, or -1
  int tty_in = 0, tty_out = 1;
  int listener = -1;  // the seccomp notification listener, or -1
  notify::Handler* handler = nullptr;
  std::vector<RunObserver*> observers;
};

// With a pty, the user's terminal (tty_in) is in raw mode and the pty at its size until the
// command exits. Returns the command's exit status (128+N for signal N; 128+SIGHUP when it outlived
// the grace after a hangup). Reaps c.pid and sets it to -1.
int run(namespaces::Child& c, const Supervision& s);

}  // namespace policy::launch::supervise
