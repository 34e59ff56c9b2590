// The launch recipe (docs/runtime.md): one function per side, each step one line, in the order
// the kernel demands. Parent: compile before clone, cgroup before the child continues, id maps.
// Child: mounts, root, pivot_root, rlimits, bounding set, ids, caps, cwd, LSMs, no_new_privs,
// seccomp last, close fds, execve.
#include "runtime/launch/launch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>

#include "runtime/common/host.hpp"
#include "runtime/launch/apply_capabilities.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/confine.hpp"
#include "runtime/launch/exit_report.hpp"
#include "runtime/launch/fds.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/launch/identity.hpp"
#include "runtime/launch/init.hpp"
#include "runtime/launch/mounts.hpp"
#include "runtime/launch/namespaces.hpp"
#include "runtime/launch/net.hpp"
#include "runtime/launch/notify.hpp"
#include "runtime/launch/reaper.hpp"
#include "runtime/launch/rlimits.hpp"
#include "runtime/launch/rootfs.hpp"
#include "runtime/launch/seccomp.hpp"
#include "runtime/launch/spec.hpp"
#include "runtime/launch/supervise.hpp"
#include "runtime/launch/sysctl.hpp"
#include "runtime/launch/tty.hpp"
#include "runtime/launch/user.hpp"

namespace policy::launch {
namespace {

// The steps the container's process shares with an exec'd one (confine.hpp).
using confine::die_with_parent;
using confine::enter_cwd;
using confine::flush;
using confine::no_new_privs;
using confine::prepare_cwd;
using confine::report_failure;

// ---- everything the child needs, prepared by the parent before clone ----

struct ChildSetup {
  const LaunchRequest* req;
  const ir::Policy* policy;
  LandlockPlan landlock;  // compiled before the clone; the child only makes the system calls
  rootfs::RunState state;
  uint64_t clone_flags;
  std::vector<std::string> env;
  std::string hostname;    // identity.hpp: the policy's, the short id, or the host's
  identity::EtcFiles etc;  // /etc/hostname, /etc/hosts, /etc/resolv.conf
  bool init;
  // The host's hierarchies in which the run has a cgroup: what the container sees at
  // /sys/fs/cgroup (mounts::mount_cgroups) in its cgroup namespace.
  cgroup::Layout cgroups;
  // Spawned in the parent's memory (namespaces::spawn_process): the child joins its cgroups
  // itself (these cgroup.procs files) instead of waiting for the parent to move it.
  bool shared_memory = false;
  std::vector<std::string> cgroup_procs;
  int sync_read, error_write, tty_sock;
  int handoff = -1;  // the notification listener's hand-over (notify.hpp), when r.notify is set
  int sync_write, error_read, record_fd;  // the parent's ends and its run record: closed first
  sigset_t forward;
};

void set_hostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) throw sys_error("sethostname", name);
}

// The filters (an OCI config's first), the last with a listener handed to the parent when the
// run is supervised (notify.hpp).
void install_filter(const ChildSetup& s) {
  for (const auto& f : s.req->extra_filters) confine::install_filter(f, false, -1);
  confine::install_filter(s.req->seccomp_filter, s.req->notify != nullptr, s.handoff);
}

// An OCI container's process, set up: tells the parent (`create`) so by closing the error pipe,
// then waits for `start`'s byte on the exec FIFO. It waits before its first seccomp filter, which
// might refuse the read (nothing of the image runs before the execve anyway). Returns the error
// fd for the remaining steps: none any more (a failure says why on the command's stderr).
int await_start(const ChildSetup& s) {
  ::close(s.error_write);
  char go = 0;
  ssize_t n;
  do n = ::read(s.req->start_fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(kExitRuntimeError);  // the FIFO's writers are gone: never started
  ::close(s.req->start_fd);
  return -1;
}

void wait_for_parent(int fd) {
  char go = 0;
  ssize_t n;
  do n = ::read(fd, &go, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1 || go != 'g') ::_exit(kExitRuntimeError);  // the parent gave up; it reports why
  ::close(fd);
}

// The child moves itself into the run's cgroups ("0" is the writer), before anything else.
void join_cgroups(const std::vector<std::string>& procs) {
  for (const auto& path : procs) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.valid() || ::write(fd.get(), "0", 1) != 1)
      throw sys_error("cgroup: moving the container into its cgroup failed", path);
  }
}

[[noreturn]] void exec_or_report(const ChildSetup& s, const std::vector<std::string>& env,
                                 int error_fd) {
  confine::exec_or_report(s.req->argv, env, error_fd);
}

// ---------------------------------------------------------------------------------------------
// The child: the recipe, top to bottom. Runs in the new namespaces, inside its cgroup.
// ---------------------------------------------------------------------------------------------
// The child's failure: to the parent, or (an OCI container after `start`) on its stderr.
void report_child_failure(int error_fd, int sys_errno, const std::string& message) {
  if (error_fd >= 0) {
    report_failure(error_fd, sys_errno, kExitRuntimeError, message);
    return;
  }
  const std::string line = "policyrun: error: " + message + "\n";
  if (::write(2, line.data(), line.size()) < 0) {
  }
}

[[noreturn]] void child_main(const ChildSetup& s) {
  std::ostringstream lsm_log, lsm_report;  // warnings; the --verbose report
  int error_fd = s.error_write;
  try {
    const ir::Policy& p = *s.policy;
    const LaunchRequest& r = *s.req;
    for (int fd : {s.sync_write, s.error_read, s.record_fd}) ::close(fd);
    const bool created = r.start_fd >= 0;  // OCI create: the parent exits before the command
    if (!created) die_with_parent(s.error_write, true);
    if (s.shared_memory)
      join_cgroups(s.cgroup_procs);  // the parent waits in clone until the execve
    else
      wait_for_parent(s.sync_read);  // cgroup limits and id maps are in place
    if (s.clone_flags & CLONE_NEWUSER) user::become_namespace_root();
    if (namespaces::new_cgroup_ns(p.namespaces)) namespaces::enter_new_cgroup_ns();
    if (s.clone_flags & CLONE_NEWNET) net::bring_up_loopback();
    if (!r.tty) tty::new_session();  // never the host's controlling terminal (TIOCSTI)
    if (!r.tty) fds::install_stdio(r.stdin_fd, r.stdout_fd, r.stderr_fd);
    fds::close_all_except({s.error_write, s.tty_sock, s.handoff, r.diagnostics_fd, r.start_fd});
    mounts::make_root_private();
    UniqueFd root =
        rootfs::mount_root(s.state, r.lower_dirs, (s.clone_flags & CLONE_NEWUSER) != 0, p.rootfs);
    mounts::Context mc{root.get(), (s.clone_flags & CLONE_NEWUSER) != 0,
                       (s.clone_flags & CLONE_NEWNET) != 0, (s.clone_flags & CLONE_NEWIPC) != 0};
    mounts::mount_proc(mc);
    sysctl::apply(root.get(), p.sysctls);  // in the new namespaces, before /proc/sys is read-only
    mounts::mount_dev(mc);
    mounts::mount_sys(mc);
    if (namespaces::new_cgroup_ns(p.namespaces)) mounts::mount_cgroups(mc, s.cgroups);
    if (r.docker_identity)
      identity::provide_etc_files(root.get(), s.etc, p.rootfs.readonly, lsm_log);
    mounts::mount_plan(mc, p.rootfs.mounts);
    mounts::mask_paths(mc, p.rootfs.masked_paths);
    mounts::readonly_paths(mc, p.rootfs.readonly_paths);
    prepare_cwd(root.get(), r.cwd, p.rootfs.readonly);
    if (p.rootfs.readonly) rootfs::make_readonly(root.get());
    if ((s.clone_flags & CLONE_NEWUTS) && !s.hostname.empty()) set_hostname(s.hostname);
    const user::Identity who =
        user::resolve_identity(root.get(), r.user, p.process, (s.clone_flags & CLONE_NEWUSER) != 0);
    std::vector<std::string> env = s.env;
    identity::add_home(env, who.home);
    root.reset();
    rootfs::enter(s.state.merged, p.rootfs.use_chroot, r.diagnostics_fd);
    if (r.tty) tty::setup_child(s.tty_sock);  // opens the container's own /dev/ptmx
    rlimits::apply(p.process.rlimits);
    capabilities::drop_bounding(p.capabilities);
    // Without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in before the ids and
    // capabilities change (as runc does); the remaining steps then run under the filter.
    if (!p.process.no_new_privileges) {
      if (created) error_fd = await_start(s);
      install_filter(s);
    }
    user::switch_ids(who.ids, (s.clone_flags & CLONE_NEWUSER) != 0);
    capabilities::apply(p.capabilities);
    // Again: the id switch cleared it. Best effort when a filter is already in (no
    // no_new_privileges): it may refuse prctl; the pid namespace and the next gc remain.
    if (!created) die_with_parent(s.error_write, p.process.no_new_privileges);
    enter_cwd(r.cwd);
    apply_apparmor_exec_label(p, r.apparmor);  // runtime/launch/apparmor.* (LSM engineer)
    if (p.process.no_new_privileges) no_new_privs();
    apply_landlock(s.landlock, lsm_report);  // runtime/launch/landlock.*
    flush(lsm_log, r.diagnostics_fd);
    if (r.verbose) flush(lsm_report, r.diagnostics_fd);
    if (p.process.no_new_privileges) {
      if (created) error_fd = await_start(s);
      install_filter(s);  // the very last step
    }
    if (s.init) {
      ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // keep /proc/1/exe (the runtime binary) closed
      const pid_t init_pid = ::getpid();
      pid_t cmd = ::fork();
      if (cmd < 0) throw sys_error("fork the command from the container's init");
      if (cmd == 0) {
        // The command dies with its init (best effort: the filter is already in).
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 && ::getppid() != init_pid)
          ::_exit(kExitRuntimeError);
        fds::close_all_except({error_fd});
        exec_or_report(s, env, error_fd);
      }
      fds::close_all_except({});
      init::run(cmd, s.forward);
    }
    fds::close_all_except({error_fd});
    exec_or_report(s, env, error_fd);
  } catch (const Error& e) {
    report_child_failure(error_fd, e.sys_errno(), e.what());
  } catch (const std::exception& e) {
    report_child_failure(error_fd, 0, e.what());
  }
  ::_exit(kExitRuntimeError);
}

int spawned_child(void* setup) {
  child_main(*static_cast<const ChildSetup*>(setup));
}

uint32_t outside_root(const std::vector<ir::IdMap>& maps, uint32_t fallback) {
  for (const auto& m : maps)
    if (m.inside == 0) return m.outside;
  return maps.empty() ? fallback : 0;
}

void validate(const LaunchRequest& r) {
  if (!r.policy) throw LaunchError("launch: no policy given", 0, kExitRuntimeError);
  if (r.argv.empty() || r.argv[0].empty())
    throw LaunchError(
        "launch: no command to run (the image has no Entrypoint or Cmd; give one "
        "after the image name)",
        0, kExitRuntimeError);
  const ir::Policy& p = *r.policy;
  bool new_uts = false;
  for (const auto& ns : p.namespaces.namespaces)
    if (ns.kind == ir::NamespaceKind::Uts && ns.join_path.empty()) new_uts = true;
  if (p.process.hostname && !new_uts)
    throw LaunchError("process: the policy sets hostname \"" + *p.process.hostname +
                          "\" but does not create a uts namespace, so the host's own hostname "
                          "would change; add 'uts' to the policy's namespaces section",
                      0, kExitRuntimeError);
  if (!r.run_id.empty() &&
      r.run_id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
    throw LaunchError("run id '" + r.run_id + "' may only hold [a-z0-9_-]", 0, kExitRuntimeError);
  if (r.cwd.empty() || r.cwd[0] != '/')
    throw LaunchError("working directory '" + r.cwd + "' must be an absolute path", 0,
                      kExitRuntimeError);
  if (r.start_fd >= 0 && r.notify)
    throw LaunchError(
        "launch: a created (OCI) container has no supervisor to answer seccomp "
        "notifications",
        0, kExitRuntimeError);
}

// Every path the child mounts on or enters inside the root (mounts.cpp, prepare_cwd): with a
// read-only root they must all exist in the image for the layer to be used directly.
std::vector<rootfs::MountPoint> mount_points(const ir::Policy& p, const LaunchRequest& r) {
  std::vector<rootfs::MountPoint> out = {{"/proc", true},
                                         {"/dev", true},
                                         {"/sys", true},
                                         {r.cwd, true},
                                         {"/etc/hostname", false},
                                         {"/etc/hosts", false},
                                         {"/etc/resolv.conf", false}};
  for (const auto& m : p.rootfs.mounts) {
    bool dir = true;
    if (m.kind == ir::MountSpec::Bind) {
      struct stat st {};
      dir = ::stat(m.source.c_str(), &st) != 0 || S_ISDIR(st.st_mode);
    }
    out.push_back({m.target, dir});
  }
  return out;
}

// `layout` reduced to the hierarchies where the run has a directory: elsewhere its cgroup
// namespace's root would be policyrun's own cgroup, whose other children (other runs) the
// container must not see.
cgroup::Layout run_hierarchies(const cgroup::Layout& layout, const cgroup::RunCgroup* cg) {
  cgroup::Layout out = layout;
  auto has_dir = [&](const std::string& mount) {
    if (!cg || mount.empty()) return false;
    for (const auto& d : cg->dirs())
      if (d.compare(0, mount.size() + 1, mount + "/") == 0) return true;
    return false;
  };
  for (auto it = out.v1_mounts.begin(); it != out.v1_mounts.end();)
    it = has_dir(it->second) ? std::next(it) : out.v1_mounts.erase(it);
  if (!has_dir(out.v2_mount)) out.v2_mount.clear();
  if (out.v1_mounts.empty() && out.v2_mount.empty()) out.mode = cgroup::Mode::None;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The parent's recipe: prepare, open channels, start the child, release it, await its execve,
// supervise, clean up. One method per step; launch() below lists them.
// ---------------------------------------------------------------------------------------------
class Launcher {
 public:
  explicit Launcher(const LaunchRequest& r) : r_(r), p_(*r.policy), joins_(p_.namespaces) {}

  // Everything decided and created before the clone: the child's setup, the LSM profiles, the
  // run's record, state directory and cgroups (docs/runtime.md, parent steps 1-6).
  void prepare() {
    s_.req = &r_;
    s_.policy = &p_;
    s_.clone_flags = namespaces::clone_flags(p_.namespaces);
    s_.env = confine::merge_env(r_.env, p_.process.env);
    s_.init = r_.init || p_.process.init;
    s_.forward = supervise::forwarded_set();
    {
      std::ostringstream report;  // what is enforced where: only with --verbose
      prepare_apparmor(p_, r_.apparmor, report, r_.landlock);  // loads the profile (parent side)
      s_.landlock = prepare_landlock(p_, r_.landlock, report);
      if (r_.verbose) flush(report, r_.diagnostics_fd);
    }
    userns_ = (s_.clone_flags & CLONE_NEWUSER) != 0;
    run_id_ = r_.run_id.empty() ? runtime::random_hex(6) : r_.run_id;
    if (r_.docker_identity) {
      s_.hostname =
          identity::hostname(p_.process.hostname, (s_.clone_flags & CLONE_NEWUTS) != 0, run_id_);
      s_.etc = identity::etc_files(s_.hostname, (s_.clone_flags & CLONE_NEWNET) != 0, r_.network);
      identity::add_hostname(s_.env, s_.hostname);
    } else {
      s_.hostname = p_.process.hostname.value_or("");  // else the uts namespace keeps its copy
    }
    if (r_.start_fd < 0) {  // an OCI container's state is its runtime's (`delete` removes it)
      reaper::collect(r_.state_root);  // the runs whose policyrun died: their cgroups and state
      record_.emplace(r_.state_root, run_id_);  // held until this run is removed
    }
    const cgroup::Layout layout = cgroup::detect();
    s_.state =
        !r_.rootfs_dir.empty()
            ? rootfs::bundle_root(r_.rootfs_dir)
            : rootfs::create_state(r_.state_root, run_id_, r_.lower_dirs,
                                   userns_ ? outside_root(p_.namespaces.uid_map, ::geteuid()) : 0,
                                   userns_ ? outside_root(p_.namespaces.gid_map, ::getegid()) : 0,
                                   p_.rootfs.readonly, mount_points(p_, r_));
    state_created_ = true;
    cg_ = cgroup::create(layout, run_id_, p_.resources);
    if (cg_ && record_) record_->note_cgroups(cg_->dirs());
    s_.cgroups = run_hierarchies(layout, cg_.get());
  }

  // The pipes and socket pairs between parent and child, and the signal mask (steps 7-8).
  void open_channels() {
    int sync_pipe[2];
    if (::pipe2(sync_pipe, O_CLOEXEC) != 0) throw sys_error("pipe2");
    sync_r_.reset(sync_pipe[0]);
    sync_w_.reset(sync_pipe[1]);
    ch_.open(r_.tty, r_.notify != nullptr);
    s_.sync_read = sync_r_.get();
    s_.error_write = ch_.error_write.get();
    s_.sync_write = sync_w_.get();
    s_.error_read = ch_.error_read.get();
    s_.record_fd = record_ ? record_->fd() : -1;
    s_.tty_sock = ch_.tty_child.get();
    s_.handoff = ch_.handoff_child.get();
    fds::mark_cloexec_from(3);
    sigset_t block = s_.forward;
    sigaddset(&block, SIGCHLD);
    mask_.emplace(block);
  }

  // The clone (step 9). posix_spawn's model (namespaces::spawn_process) whenever the parent has
  // nothing to do between the clone and the child's setup: the child then joins its cgroups
  // itself. A new user namespace needs the parent to write the id maps first, --init never calls
  // execve (the parent would wait for ever), clone() cannot pass flags in its exit-signal byte
  // (CLONE_NEWTIME), a supervised filter needs the parent to take the listener, and an observer
  // may want the child before it runs (the network helper): those fork.
  void start_child() {
    spawn_ = r_.start_fd < 0 && !userns_ && !s_.init && !r_.notify &&
             (s_.clone_flags & 0xffULL) == 0 && s_.clone_flags <= 0x7fffffffULL && !wants_created();
    if (spawn_) {
      s_.shared_memory = true;
      if (cg_)
        for (const auto& d : cg_->dirs()) s_.cgroup_procs.push_back(d + "/cgroup.procs");
    }
    watch_.emplace(r_);  // before the clone: the kernel log's position
    joins_.enter();
    try {
      child_ = spawn_ ? namespaces::spawn_process(s_.clone_flags, &spawned_child, &s_)
                      : namespaces::clone_process(s_.clone_flags);
    } catch (...) {
      joins_.leave();
      throw;
    }
    if (child_.pid == 0) child_main(s_);
    watch_->started(child_.pid);
    joins_.leave();
    sync_r_.reset();
    ch_.close_child_ends();
  }

  // A forked child waits until it is in its cgroups, its id maps are written and the observer
  // has seen it (steps 10-12); a spawned one has done the first itself.
  void release_child() {
    if (!spawn_) {
      guarded([&] {
        if (cg_) cg_->attach(child_.pid);
        if (userns_) user::write_id_maps(child_.pid, p_.namespaces);
        for (RunObserver* o : r_.observers)
          if (o->wants_created()) o->created(child_.pid, child_.pidfd.get());
        if (::write(sync_w_.get(), "g", 1) != 1)
          throw sys_error("releasing the container's process");
      });
    }
    sync_w_.reset();
  }

  // Until the command's execve: the pty master, the seccomp listener, and the child's report
  // of a failed setup (thrown as LaunchError, after the child is gone).
  void await_exec() {
    if (r_.tty) master_ = tty::receive_master(ch_.tty_parent.get());
    if (master_.valid() && !r_.console_socket.empty())
      guarded([&] { tty::send_to_console_socket(r_.console_socket, master_.get()); });
    // Invalid: no supervised filter, or the child failed before installing it.
    if (r_.notify)
      guarded(
          [&] { listener_ = notify::take_listener(child_.pidfd.get(), ch_.handoff_parent.get()); });
    confine::ReportHeader h{};
    std::string message;
    if (confine::read_failure(ch_.error_read.get(), h, message, listener_.get(), r_.notify)) {
      abort_child();
      throw LaunchError(message, h.sys_errno, h.exit_code);
    }
    const RunObserver::Started started{run_id_, child_.pid, child_.pidfd.get(),
                                       cg_ ? cg_->dirs() : std::vector<std::string>{}};
    guarded([&] {
      for (RunObserver* o : r_.observers) o->started(started);
    });
  }

  // OCI create: the process waits for `start`; it stays, unsupervised, with its cgroups.
  void leave_running() {
    if (cg_) cg_->keep();
    child_.pid = -1;
  }

  // Signals, terminal, notifications and the observer's fds until the command exits.
  int supervise() {
    supervise::Supervision sv{s_.forward,      master_.valid() ? master_.get() : -1,
                              r_.stdin_fd,     r_.stdout_fd,
                              listener_.get(), r_.notify,
                              r_.observers};
    return supervise::run(child_, sv);
  }

  // The cgroup's events (OOM kills, pids-limit hits) reported, the cgroups removed, and why
  // the command died, when it died of the policy.
  int finish(int status) {
    if (cg_) {
      std::ostringstream out;
      cgroup::report(cg_->events(), p_.resources, out);
      flush(out, r_.diagnostics_fd);
      cg_->destroy();
    }
    watch_->report(status);  // a death by SIGSYS, or a crash at start under a tiny filter: why
    return status;
  }

  // What the run created goes in the reverse order: the signal mask, the cgroups (killing what
  // is left in them), the state directory, then (a member) the run's record.
  ~Launcher() {
    watch_.reset();
    mask_.reset();
    cg_.reset();
    if (state_created_) rootfs::remove_state(s_.state);
  }

 private:
  bool wants_created() const {
    for (const RunObserver* o : r_.observers)
      if (o->wants_created()) return true;
    return false;
  }
  // Runs `step`; on failure kills the child and removes its cgroups before rethrowing.
  template <class F>
  void guarded(F&& step) {
    try {
      step();
    } catch (...) {
      abort_child();
      throw;
    }
  }
  void abort_child() {
    ::syscall(SYS_pidfd_send_signal, child_.pidfd.get(), SIGKILL, nullptr, 0);
    while (::waitpid(child_.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (cg_) cg_->destroy();
  }

  const LaunchRequest& r_;
  const ir::Policy& p_;
  namespaces::Joins joins_;
  ChildSetup s_{};
  bool userns_ = false, spawn_ = false, state_created_ = false;
  std::string run_id_;
  std::optional<reaper::RunRecord> record_;
  std::unique_ptr<cgroup::RunCgroup> cg_;
  UniqueFd sync_r_, sync_w_, master_, listener_;
  confine::Channels ch_;
  std::optional<confine::SignalMask> mask_;
  std::optional<exit_report::Watch> watch_;
  namespaces::Child child_;
};

}  // namespace

int launch(const LaunchRequest& r) {
  validate(r);
  confine::require_single_thread("launch");
  Launcher run(r);
  run.prepare();
  run.open_channels();
  run.start_child();
  run.release_child();
  run.await_exec();
  if (r.start_fd >= 0) {
    run.leave_running();
    return 0;
  }
  return run.finish(run.supervise());
}

}  // namespace policy::launch
