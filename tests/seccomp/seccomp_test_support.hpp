// Helpers for the seccomp tests: IR builders and a child process that installs a filter for real.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>

#include "compiler/common/names.hpp"
#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace seccomp_test {

using namespace policy;

inline uint32_t arch(const char* name) {
  return *names::arch_token(name);
}

inline ir::Action allow() {
  return {ir::ActionKind::Allow, 0};
}
inline ir::Action err(int e) {
  return {ir::ActionKind::Errno, static_cast<uint32_t>(e)};
}
inline ir::Action kill_process() {
  return {ir::ActionKind::KillProcess, 0};
}
inline ir::Action trap() {
  return {ir::ActionKind::Trap, 0};
}

inline ir::Comparison cmp(unsigned arg, ir::CmpOp op, uint64_t value, uint64_t mask = ~0ULL,
                          ir::ArgWidth width = ir::ArgWidth::Bits64) {
  ir::Comparison c;
  c.arg = arg;
  c.arg_name = "arg" + std::to_string(arg);
  c.op = op;
  c.value = value;
  c.mask = mask;
  c.width = width;
  return c;
}

inline ir::SyscallRule rule(const std::string& syscall, ir::Action action,
                            ir::Condition args = {}) {
  ir::SyscallRule r;
  r.syscall = syscall;
  r.action = action;
  r.args = std::move(args);
  r.loc = SourceLoc{"test.pol", 1, 1};
  return r;
}

inline ir::SeccompPolicy policy_for(ir::Action def, std::vector<ir::SyscallRule> rules,
                                    const std::vector<uint32_t>& arches = {}) {
  ir::SeccompPolicy p;
  p.default_action = def;
  p.rules = std::move(rules);
  p.arches = arches.empty() ? names::default_target_arches() : arches;
  p.target_kernel = ir::KernelVersion{6, 1};
  return p;
}

struct ChildOutcome {
  bool exited = false;
  int exit_code = -1;
  int signal = 0;
  std::string describe() const {
    return exited ? "exit " + std::to_string(exit_code) : "signal " + std::to_string(signal);
  }
};

// Forks; the child sets no_new_privs, installs `prog` with seccomp(SECCOMP_SET_MODE_FILTER) and
// exits with body()'s value (the body must only make calls the filter lets it make, plus
// exit_group). Exit code 250 means the filter could not be installed.
inline ChildOutcome run_filtered(const policy::seccomp::Program& prog,
                                 const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid < 0) std::abort();
  if (pid == 0) {
    struct sock_fprog fp {
      static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())
    };
    struct rlimit no_core {
      0, 0
    };
    setrlimit(RLIMIT_CORE, &no_core);  // SIGSYS would dump core
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(250);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(250);
    _exit(body());
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildOutcome o;
  if (WIFEXITED(status)) {
    o.exited = true;
    o.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    o.signal = WTERMSIG(status);
  }
  return o;
}

// The errno of a raw syscall as an exit code: 0 when it succeeded, else errno (< 200).
inline int errno_of(long rc) {
  return rc >= 0 ? 0 : (errno < 200 ? errno : 199);
}

}  // namespace seccomp_test
