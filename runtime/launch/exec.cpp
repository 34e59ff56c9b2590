// The exec recipe (docs/runtime.md "exec"). Parent: the namespaces to join and the container's
// cgroup.procs files opened while the init is checked alive, the Landlock ruleset compiled, then
// a child forked straight into the container's pid namespace (the parent's pid_for_children is
// switched around the clone), non-dumpable from birth. Child: cgroups (before the cgroup
// namespace), setns(pidfd) of every other namespace at once, the root, then the confinement steps
// of launch.cpp's child_main in the same order, seccomp last, every fd but stdio closed, execve.
#include "runtime/launch/exec.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <sstream>

#include "runtime/launch/apply_capabilities.hpp"
#include "runtime/launch/confine.hpp"
#include "runtime/launch/identity.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/launch/namespaces.hpp"
#include "runtime/launch/rlimits.hpp"
#include "runtime/launch/supervise.hpp"
#include "runtime/launch/tty.hpp"
#include "runtime/launch/user.hpp"

namespace policy::launch {
namespace {

// The namespaces a container can have, with their /proc/PID/ns names.
struct NsKind {
  int flag;
  const char* name;
};
constexpr NsKind kNamespaces[] = {{CLONE_NEWUSER, "user"},     {CLONE_NEWNS, "mnt"},
                                  {CLONE_NEWPID, "pid"},       {CLONE_NEWNET, "net"},
                                  {CLONE_NEWIPC, "ipc"},       {CLONE_NEWUTS, "uts"},
                                  {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWTIME, "time"}};

// The CLONE_NEW* flags of the namespaces in which `pid` differs from the caller.
int differing_namespaces(pid_t pid) {
  int flags = 0;
  for (const auto& ns : kNamespaces) {
    const std::string theirs = "/proc/" + std::to_string(pid) + "/ns/" + ns.name;
    const std::string ours = std::string("/proc/self/ns/") + ns.name;
    struct stat a {
    }, b{};
    if (::stat(theirs.c_str(), &a) != 0) {
      if (errno == ENOENT && ns.flag == CLONE_NEWTIME) continue;  // a kernel without time ns
      throw sys_error("exec: read the container's namespace", theirs);
    }
    if (::stat(ours.c_str(), &b) != 0) throw sys_error("exec: read our namespace", ours);
    if (a.st_ino != b.st_ino || a.st_dev != b.st_dev) flags |= ns.flag;
  }
  return flags;
}

bool exited(int pidfd) {
  struct pollfd pf = {pidfd, POLLIN, 0};
  return ::poll(&pf, 1, 0) == 1;
}

LaunchError not_running(pid_t pid) {
  return LaunchError("exec: the container's first process (host pid " + std::to_string(pid) +
                         ") has exited: the container is not running",
                     ESRCH, kExitRuntimeError);
}

// Everything the child needs, prepared by the parent before the clone.
struct ExecSetup {
  const ExecRequest* req;
  LandlockPlan landlock;
  int join_flags = 0;             // setns(pidfd, ...) in the child: all but pid
  std::vector<int> cgroup_procs;  // the container's cgroup.procs files, open for writing
  int chroot_root = -1;           // /proc/PID/root, for a container that runs chroot-ed
  int error_write = -1, error_read = -1, tty_sock = -1, handoff = -1;
};

// The child moves itself into the container's cgroups ("0" is the writer), while it still sees
// the host's cgroup namespace (a migration is checked against the writer's cgroup namespace).
void join_cgroups(const std::vector<int>& procs) {
  for (int fd : procs)
    if (::write(fd, "0", 1) != 1)
      throw sys_error("exec: moving into the container's cgroup (cgroup.procs)");
}

void enter_root(int root) {
  if (::fchdir(root) != 0 || ::chroot(".") != 0)
    throw sys_error("exec: chroot into the container's root (/proc/PID/root)");
}

std::string current_hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) throw sys_error("gethostname");
  return buf;
}

// The filters, oldest first; the last with a listener for a supervised filter.
void install_filters(const ExecSetup& s) {
  for (const auto& f : s.req->extra_filters) confine::install_filter(f, false, -1);
  confine::install_filter(s.req->seccomp_filter, s.req->notify != nullptr, s.handoff);
}

// ---------------------------------------------------------------------------------------------
// The child: in the container's pid namespace from birth; the rest of the recipe, top to bottom.
// ---------------------------------------------------------------------------------------------
[[noreturn]] void child_main(const ExecSetup& s) {
  std::ostringstream lsm_report;
  try {
    const ExecRequest& r = *s.req;
    const ir::Policy& p = *r.policy;
    const bool nnp = p.process.no_new_privileges;
    const bool userns = (s.join_flags & CLONE_NEWUSER) != 0;
    ::close(s.error_read);
    const bool detached = r.detached_pid != nullptr;
    if (!detached) confine::die_with_parent(s.error_write, true);
    join_cgroups(s.cgroup_procs);
    if (s.join_flags != 0 && ::setns(r.pidfd, s.join_flags) != 0)
      throw sys_error("exec: setns into the container's namespaces");
    if (s.chroot_root >= 0) enter_root(s.chroot_root);
    if (!r.tty) tty::new_session();  // never the host's controlling terminal (TIOCSTI)
    if (!r.tty) fds::install_stdio(r.stdin_fd, r.stdout_fd, r.stderr_fd);
    // Nothing of the host's (the init's pidfd, the cgroup files, its root) stays open from here.
    fds::close_all_except({s.error_write, s.tty_sock, s.handoff, r.diagnostics_fd});
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) throw sys_error("exec: open the container's root");
    confine::prepare_cwd(root.get(), r.cwd, true);  // never created by exec, as docker exec
    const user::Identity who = user::resolve_identity(root.get(), r.user, p.process, userns);
    root.reset();
    std::vector<std::string> env = confine::merge_env(r.env, p.process.env);
    identity::add_hostname(env, current_hostname());
    identity::add_home(env, who.home);
    if (r.tty) tty::setup_child(s.tty_sock);  // the container's own /dev/ptmx
    rlimits::apply(p.process.rlimits);
    capabilities::drop_bounding(p.capabilities);
    if (!nnp) install_filters(s);
    user::switch_ids(who.ids, userns);
    capabilities::apply(p.capabilities);
    if (!detached) confine::die_with_parent(s.error_write, nnp);
    confine::enter_cwd(r.cwd);
    apply_apparmor_exec_label(p, r.apparmor);
    if (nnp) confine::no_new_privs();
    apply_landlock(s.landlock, lsm_report);
    if (r.verbose) confine::flush(lsm_report, r.diagnostics_fd);
    if (nnp) install_filters(s);
    fds::close_all_except({s.error_write});
    confine::exec_or_report(r.argv, env, s.error_write);
  } catch (const Error& e) {
    confine::report_failure(s.error_write, e.sys_errno(), kExitRuntimeError, e.what());
  } catch (const std::exception& e) {
    confine::report_failure(s.error_write, 0, kExitRuntimeError, e.what());
  }
  ::_exit(kExitRuntimeError);
}

void validate(const ExecRequest& r) {
  if (!r.policy) throw LaunchError("exec: no policy given", 0, kExitRuntimeError);
  if (r.argv.empty() || r.argv[0].empty())
    throw LaunchError("exec: no command given", 0, kExitRuntimeError);
  if (r.cwd.empty() || r.cwd[0] != '/')
    throw LaunchError("exec: working directory '" + r.cwd + "' must be an absolute path", 0,
                      kExitRuntimeError);
  if (r.pidfd < 0 || r.pid <= 0 || exited(r.pidfd)) throw not_running(r.pid);
  if (r.detached_pid && r.notify)
    throw LaunchError("exec: a detached command has no supervisor to answer seccomp notifications",
                      0, kExitRuntimeError);
}

// ---------------------------------------------------------------------------------------------
// The parent's recipe: prepare, open channels, start the child in the pid namespace, await its
// execve, supervise.
// ---------------------------------------------------------------------------------------------
class Execer {
 public:
  explicit Execer(const ExecRequest& r) : r_(r) {}

  // What the child joins, opened while the container's first process is checked alive (so the
  // /proc/PID paths were its own), and the Landlock ruleset compiled.
  void prepare() {
    s_.req = &r_;
    {
      std::ostringstream report;
      s_.landlock = prepare_landlock(*r_.policy, r_.landlock, report);
      if (r_.verbose) confine::flush(report, r_.diagnostics_fd);
    }
    const int flags = differing_namespaces(r_.pid);
    join_pid_ = (flags & CLONE_NEWPID) != 0;
    s_.join_flags = flags & ~CLONE_NEWPID;
    for (const auto& dir : r_.cgroup_dirs) {
      const std::string path = dir + "/cgroup.procs";
      procs_.emplace_back(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
      if (!procs_.back().valid())
        throw sys_error("exec: open the container's cgroup (has the container exited?)", path);
      s_.cgroup_procs.push_back(procs_.back().get());
    }
    if (r_.policy->rootfs.use_chroot) {
      const std::string path = "/proc/" + std::to_string(r_.pid) + "/root";
      root_.reset(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!root_.valid()) throw sys_error("exec: open the container's root", path);
      s_.chroot_root = root_.get();
    }
    if (exited(r_.pidfd)) throw not_running(r_.pid);
  }

  void open_channels() {
    ch_.open(r_.tty, r_.notify != nullptr);
    s_.error_write = ch_.error_write.get();
    s_.error_read = ch_.error_read.get();
    s_.tty_sock = ch_.tty_child.get();
    s_.handoff = ch_.handoff_child.get();
    fds::mark_cloexec_from(3);
    forward_ = supervise::forwarded_set();
    sigset_t block = forward_;
    sigaddset(&block, SIGCHLD);
    mask_.emplace(block);
  }

  // The clone, into the container's pid namespace: a process cannot enter one itself, its
  // children are created there (pid_for_children). Non-dumpable from its first instruction, so
  // that no process of the container can open its /proc/PID/exe (the runtime's binary,
  // CVE-2019-5736) or its memory while it holds host resources; execve makes the command dumpable
  // again as any program.
  void start_child() {
    UniqueFd saved_pid_ns;
    if (join_pid_) {
      saved_pid_ns.reset(::open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
      if (!saved_pid_ns.valid()) throw sys_error("exec: open /proc/self/ns/pid_for_children");
      if (::setns(r_.pidfd, CLONE_NEWPID) != 0) {
        if (errno == ESRCH) throw not_running(r_.pid);
        throw sys_error("exec: setns into the container's pid namespace");
      }
    }
    const int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    auto restore = [&] {  // policyrun's own pid namespace and dumpability again
      ::prctl(PR_SET_DUMPABLE, dumpable > 0 ? dumpable : 1, 0, 0, 0);
      if (join_pid_ && ::setns(saved_pid_ns.get(), CLONE_NEWPID) != 0)
        throw sys_error("exec: setns back into policyrun's own pid namespace");
    };
    try {
      child_ = namespaces::clone_process(0);
    } catch (const Error& e) {
      restore();
      // ENOMEM: the pid namespace's init is gone; it takes no new process.
      if (e.sys_errno() == ENOMEM) throw not_running(r_.pid);
      throw;
    }
    if (child_.pid == 0) child_main(s_);
    restore();  // a failure here leaves the child to the destructor, which kills it
    ch_.close_child_ends();
    procs_.clear();
    root_.reset();
  }

  // Until the command's execve: the pty master, the seccomp listener, the child's report.
  void await_exec() {
    if (r_.tty) master_ = tty::receive_master(ch_.tty_parent.get());
    if (master_.valid() && !r_.console_socket.empty()) {
      try {
        tty::send_to_console_socket(r_.console_socket, master_.get());
      } catch (...) {
        abort_child();
        throw;
      }
    }
    if (r_.notify) {
      try {
        listener_ = notify::take_listener(child_.pidfd.get(), ch_.handoff_parent.get());
      } catch (...) {
        abort_child();
        throw;
      }
    }
    confine::ReportHeader h{};
    std::string message;
    if (confine::read_failure(ch_.error_read.get(), h, message, listener_.get(), r_.notify)) {
      abort_child();
      throw LaunchError(message, h.sys_errno, h.exit_code);
    }
  }

  int supervise() {
    supervise::Supervision sv{forward_,
                              master_.valid() ? master_.get() : -1,
                              r_.stdin_fd,
                              r_.stdout_fd,
                              listener_.get(),
                              r_.notify,
                              {}};
    return supervise::run(child_, sv);
  }

  // --detach: the command runs on without us.
  pid_t leave_running() {
    const pid_t pid = child_.pid;
    child_.pid = -1;
    return pid;
  }

  ~Execer() {
    if (child_.pid > 0) abort_child();
  }

 private:
  void abort_child() {
    ::syscall(SYS_pidfd_send_signal, child_.pidfd.get(), SIGKILL, nullptr, 0);
    while (::waitpid(child_.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    child_.pid = -1;
  }

  const ExecRequest& r_;
  ExecSetup s_;
  bool join_pid_ = false;
  std::vector<UniqueFd> procs_;
  UniqueFd root_, master_, listener_;
  confine::Channels ch_;
  sigset_t forward_{};
  std::optional<confine::SignalMask> mask_;
  namespaces::Child child_;
};

}  // namespace

int exec_in_container(const ExecRequest& r) {
  validate(r);
  confine::require_single_thread("exec");
  Execer e(r);
  e.prepare();
  e.open_channels();
  e.start_child();
  e.await_exec();
  if (r.detached_pid) {
    *r.detached_pid = e.leave_running();
    return 0;
  }
  return e.supervise();
}

}  // namespace policy::launch
