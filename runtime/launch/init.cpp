#include "runtime/launch/init.hpp"

#include <sys/wait.h>
#include <unistd.h>

namespace policy::launch::init {

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

void run(pid_t command, const sigset_t& forward) {
  sigset_t wait_set = forward;
  sigaddset(&wait_set, SIGCHLD);
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&wait_set, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      ::kill(command, sig);
      continue;
    }
    for (;;) {  // reap every zombie re-parented to us, not just the command
      int status = 0;
      pid_t p = ::waitpid(-1, &status, WNOHANG);
      if (p <= 0) break;
      if (p == command) ::_exit(exit_code(status));  // the kernel then kills the rest of the ns
    }
  }
}

}  // namespace policy::launch::init
