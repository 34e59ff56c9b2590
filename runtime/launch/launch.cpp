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

// ---- the child's report to the parent: errno, exit code, message, over a CLOEXEC pipe ----

struct ReportHeader {
  int32_t sys_errno;
  int32_t exit_code;
  uint32_t length;
};

void report_failure(int fd, int sys_errno, int exit_code, const std::string& message) {
  ReportHeader h{sys_errno, exit_code, static_cast<uint32_t>(message.size())};
  std::string buf(reinterpret_cast<const char*>(&h), sizeof h);
  buf += message;
  if (::write(fd, buf.data(), buf.size()) < 0) {
  }
}

// Reads until EOF: nothing means the execve succeeded (the pipe was CLOEXEC). Notifications
// that arrive meanwhile (the setup's own calls under the filter, the execve) are answered.
bool read_failure(int fd, ReportHeader& h, std::string& message, int listener,
                  notify::Handler* handler) {
  std::string buf;
  char chunk[4096];
  for (;;) {
    struct pollfd pf[2] = {{fd, POLLIN, 0}, {listener, POLLIN, 0}};
    if (::poll(pf, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pf[1].revents & POLLIN) notify::serve_pending(listener, *handler);
    if (pf[1].revents & (POLLHUP | POLLERR)) listener = -1;
    if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  if (buf.size() < sizeof h) return false;
  std::memcpy(&h, buf.data(), sizeof h);
  message = buf.substr(sizeof h, h.length);
  return true;
}

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
  // Spawned in the parent's memory (namespaces::spawn_process): the child joins its cgroups
  // itself (these cgroup.procs files) instead of waiting for the parent to move it.
  bool shared_memory = false;
  std::vector<std::string> cgroup_procs;
  int sync_read, error_write, tty_sock;
  int handoff = -1;  // the notification listener's hand-over (notify.hpp), when r.notify is set
  int sync_write, error_read, record_fd;  // the parent's ends and its run record: closed first
  sigset_t forward;
};

void reset_signals() {
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::string lookup_env(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env)
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
  return {};
}

// execve with a PATH search in the container's environment (not the runtime's). Returns only on
// failure, with errno set.
void exec_command(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> a, e;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  if (argv[0].find('/') != std::string::npos) {
    ::execve(argv[0].c_str(), a.data(), e.data());
    return;
  }
  std::string path = lookup_env(env, "PATH");
  if (path.empty()) path = kDefaultPath;
  int saved = ENOENT;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) dir = ".";
    std::string full = dir + "/" + argv[0];
    ::execve(full.c_str(), a.data(), e.data());
    if (errno != ENOENT && errno != ENOTDIR) saved = errno;
  }
  errno = saved;
}

// The working directory: resolved inside the new root (magic links such as /proc/self/fd/N
// refused), created when missing on a writable root, checked again after pivot_root.
void prepare_cwd(int root, const std::string& cwd, bool readonly) {
  UniqueFd fd;
  try {
    fd = mounts::open_in_root(root, cwd, O_PATH | O_DIRECTORY, "working directory");
  } catch (const Error&) {
    throw Error("working directory '" + cwd +
                    "' is not a directory inside the container root (it passes through a symlink "
                    "or /proc magic link that leaves the root); choose a plain path with -w",
                ELOOP);
  }
  if (!fd.valid() && !readonly)
    fd = mounts::ensure_in_root(root, cwd, mounts::Leaf::Dir, "working directory");
  if (!fd.valid())
    throw Error("working directory '" + cwd + "' does not exist in the read-only container root");
}

void enter_cwd(const std::string& cwd) {
  if (::chdir(cwd.c_str()) != 0) throw sys_error("chdir to the working directory", cwd);
  char buf[4096];
  if (!::getcwd(buf, sizeof buf) || buf[0] != '/')
    throw Error("working directory '" + cwd + "' is outside the container root; refusing to run",
                EXDEV);
}

void set_hostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) throw sys_error("sethostname", name);
}

void no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw sys_error("prctl(PR_SET_NO_NEW_PRIVS)");
}

void flush(std::ostringstream& log, int fd) {
  std::string text = log.str();
  if (!text.empty() && ::write(fd, text.data(), text.size()) < 0) {
  }
  log.str("");
}

// The container dies with the policyrun that supervises it: SIGKILL when the parent exits, and an
// exit now if it already has. The parent holds the error pipe's read end until the run ends and
// the kernel closes it before it sends the parent-death signal, so a closed read end (POLLERR on
// the write end) means the signal was missed. Armed again after every change of credentials,
// which clears it.
void die_with_parent(int error_write, bool must_arm) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    if (must_arm) throw sys_error("prctl(PR_SET_PDEATHSIG)");
    return;
  }
  struct pollfd pf = {error_write, POLLOUT, 0};
  if (::poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) ::_exit(kExitRuntimeError);
}

// The filter, with a listener handed to the parent when the run is supervised (notify.hpp).
void install_filter(const ChildSetup& s) {
  if (s.req->notify && !s.req->seccomp_filter.empty())
    notify::install_with_listener(s.req->seccomp_filter, s.handoff);
  else
    seccomp::install(s.req->seccomp_filter);
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

[[noreturn]] void exec_or_report(const ChildSetup& s, const std::vector<std::string>& env) {
  reset_signals();
  exec_command(s.req->argv, env);
  int e = errno;
  int code = (e == ENOENT || e == ENOTDIR) ? kExitNotFound : kExitCannotInvoke;
  report_failure(s.error_write, e, code,
                 "exec " + s.req->argv[0] + ": " + std::strerror(e) +
                     (code == kExitNotFound ? " (not found in the container image's PATH)" : ""));
  ::_exit(code);
}

// ---------------------------------------------------------------------------------------------
// The child: the recipe, top to bottom. Runs in the new namespaces, inside its cgroup.
// ---------------------------------------------------------------------------------------------
[[noreturn]] void child_main(const ChildSetup& s) {
  std::ostringstream lsm_log, lsm_report;  // warnings; the --verbose report
  try {
    const ir::Policy& p = *s.policy;
    const LaunchRequest& r = *s.req;
    for (int fd : {s.sync_write, s.error_read, s.record_fd}) ::close(fd);
    die_with_parent(s.error_write, true);
    if (s.shared_memory)
      join_cgroups(s.cgroup_procs);  // the parent waits in clone until the execve
    else
      wait_for_parent(s.sync_read);  // cgroup limits and id maps are in place
    if (s.clone_flags & CLONE_NEWUSER) user::become_namespace_root();
    if (namespaces::new_cgroup_ns(p.namespaces)) namespaces::enter_new_cgroup_ns();
    if (s.clone_flags & CLONE_NEWNET) net::bring_up_loopback();
    if (!r.tty) tty::new_session();  // never the host's controlling terminal (TIOCSTI)
    if (!r.tty) fds::install_stdio(r.stdin_fd, r.stdout_fd, r.stderr_fd);
    fds::close_all_except({s.error_write, s.tty_sock, s.handoff, r.diagnostics_fd});
    mounts::make_root_private();
    UniqueFd root =
        rootfs::mount_root(s.state, r.lower_dirs, (s.clone_flags & CLONE_NEWUSER) != 0, p.rootfs);
    mounts::Context mc{root.get(), (s.clone_flags & CLONE_NEWUSER) != 0,
                       (s.clone_flags & CLONE_NEWNET) != 0, (s.clone_flags & CLONE_NEWIPC) != 0};
    mounts::mount_proc(mc);
    sysctl::apply(root.get(), p.sysctls);  // in the new namespaces, before /proc/sys is read-only
    mounts::mount_dev(mc);
    mounts::mount_sys(mc);
    identity::provide_etc_files(root.get(), s.etc, p.rootfs.readonly, lsm_log);
    mounts::mount_plan(mc, p.rootfs.mounts);
    mounts::mask_paths(mc, p.rootfs.masked_paths);
    mounts::readonly_paths(mc, p.rootfs.readonly_paths);
    prepare_cwd(root.get(), r.cwd, p.rootfs.readonly);
    if (p.rootfs.readonly) rootfs::make_readonly(root.get());
    if (s.clone_flags & CLONE_NEWUTS) set_hostname(s.hostname);
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
    if (!p.process.no_new_privileges) install_filter(s);
    user::switch_ids(who.ids, (s.clone_flags & CLONE_NEWUSER) != 0);
    capabilities::apply(p.capabilities);
    // Again: the id switch cleared it. Best effort when a filter is already in (no
    // no_new_privileges): it may refuse prctl; the pid namespace and the next gc remain.
    die_with_parent(s.error_write, p.process.no_new_privileges);
    enter_cwd(r.cwd);
    apply_apparmor_exec_label(p, r.apparmor);  // runtime/launch/apparmor.* (LSM engineer)
    if (p.process.no_new_privileges) no_new_privs();
    apply_landlock(s.landlock, lsm_report);  // runtime/launch/landlock.*
    flush(lsm_log, r.diagnostics_fd);
    if (r.verbose) flush(lsm_report, r.diagnostics_fd);
    if (p.process.no_new_privileges) install_filter(s);  // the very last step
    if (s.init) {
      ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // keep /proc/1/exe (the runtime binary) closed
      const pid_t init_pid = ::getpid();
      pid_t cmd = ::fork();
      if (cmd < 0) throw sys_error("fork the command from the container's init");
      if (cmd == 0) {
        // The command dies with its init (best effort: the filter is already in).
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 && ::getppid() != init_pid)
          ::_exit(kExitRuntimeError);
        fds::close_all_except({s.error_write});
        exec_or_report(s, env);
      }
      fds::close_all_except({});
      init::run(cmd, s.forward);
    }
    fds::close_all_except({s.error_write});
    exec_or_report(s, env);
  } catch (const Error& e) {
    report_failure(s.error_write, e.sys_errno(), kExitRuntimeError, e.what());
  } catch (const std::exception& e) {
    report_failure(s.error_write, 0, kExitRuntimeError, e.what());
  }
  ::_exit(kExitRuntimeError);
}

int spawned_child(void* setup) {
  child_main(*static_cast<const ChildSetup*>(setup));
}

std::vector<std::string> merge_env(const std::vector<std::string>& base,
                                   const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (const auto& kv : base) {
    auto key = kv.substr(0, kv.find('='));
    if (!overrides.count(key)) out.push_back(kv);
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
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

// The child is cloned like fork() but without glibc's fork handlers, so a lock another thread
// holds at that moment (malloc's, stdio's) would stay locked forever in the child.
void require_single_thread() {
  std::istringstream status(files::read("/proc/self/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0 && std::stoi(line.substr(8)) != 1)
      throw LaunchError("launch: the calling process runs " + line.substr(9) +
                            " threads; policyrun's launch must be called from a single-threaded "
                            "process (fork first, or launch before starting threads)",
                        0, kExitRuntimeError);
}

struct SignalMask {
  sigset_t saved;
  explicit SignalMask(const sigset_t& block) { ::sigprocmask(SIG_BLOCK, &block, &saved); }
  ~SignalMask() {
    // Drain what we blocked so it is not delivered to the caller after the run.
    ::sigprocmask(SIG_SETMASK, &saved, nullptr);
  }
};

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
    s_.env = merge_env(r_.env, p_.process.env);
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
    s_.hostname =
        identity::hostname(p_.process.hostname, (s_.clone_flags & CLONE_NEWUTS) != 0, run_id_);
    s_.etc = identity::etc_files(s_.hostname, (s_.clone_flags & CLONE_NEWNET) != 0, r_.network);
    identity::add_hostname(s_.env, s_.hostname);
    reaper::collect(r_.state_root);  // the runs whose policyrun died: their cgroups and state
    record_.emplace(r_.state_root, run_id_);  // held until this run is removed
    const cgroup::Layout layout = cgroup::detect();
    s_.state = rootfs::create_state(r_.state_root, run_id_, r_.lower_dirs,
                                    userns_ ? outside_root(p_.namespaces.uid_map, ::geteuid()) : 0,
                                    userns_ ? outside_root(p_.namespaces.gid_map, ::getegid()) : 0,
                                    p_.rootfs.readonly, mount_points(p_, r_));
    state_created_ = true;
    cg_ = cgroup::create(layout, run_id_, p_.resources);
    if (cg_) record_->note_cgroups(cg_->dirs());
  }

  // The pipes and socket pairs between parent and child, and the signal mask (steps 7-8).
  void open_channels() {
    int sync_pipe[2], error_pipe[2], tty_pair[2] = {-1, -1}, handoff_pair[2] = {-1, -1};
    if (::pipe2(sync_pipe, O_CLOEXEC) != 0) throw sys_error("pipe2");
    sync_r_.reset(sync_pipe[0]);
    sync_w_.reset(sync_pipe[1]);
    if (::pipe2(error_pipe, O_CLOEXEC) != 0) throw sys_error("pipe2");
    err_r_.reset(error_pipe[0]);
    err_w_.reset(error_pipe[1]);
    if (r_.tty && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty_pair) != 0)
      throw sys_error("socketpair for the tty");
    tty_parent_.reset(tty_pair[0]);
    tty_child_.reset(tty_pair[1]);
    if (r_.notify && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, handoff_pair) != 0)
      throw sys_error("socketpair for the seccomp listener's hand-over");
    handoff_parent_.reset(handoff_pair[0]);
    handoff_child_.reset(handoff_pair[1]);
    s_.sync_read = sync_r_.get();
    s_.error_write = err_w_.get();
    s_.sync_write = sync_w_.get();
    s_.error_read = err_r_.get();
    s_.record_fd = record_->fd();
    s_.tty_sock = tty_child_.get();
    s_.handoff = handoff_child_.get();
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
    spawn_ = !userns_ && !s_.init && !r_.notify && (s_.clone_flags & 0xffULL) == 0 &&
             s_.clone_flags <= 0x7fffffffULL && !wants_created();
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
    err_w_.reset();
    tty_child_.reset();
    handoff_child_.reset();
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
    if (r_.tty) master_ = tty::receive_master(tty_parent_.get());
    // Invalid: no supervised filter, or the child failed before installing it.
    if (r_.notify)
      guarded(
          [&] { listener_ = notify::take_listener(child_.pidfd.get(), handoff_parent_.get()); });
    ReportHeader h{};
    std::string message;
    if (read_failure(err_r_.get(), h, message, listener_.get(), r_.notify)) {
      abort_child();
      throw LaunchError(message, h.sys_errno, h.exit_code);
    }
    const RunObserver::Started started{run_id_, child_.pid, child_.pidfd.get(),
                                       cg_ ? cg_->dirs() : std::vector<std::string>{}};
    guarded([&] {
      for (RunObserver* o : r_.observers) o->started(started);
    });
  }

  // Signals, terminal, notifications and the observer's fds until the command exits.
  int supervise() {
    tty::RawMode raw(master_.valid() ? r_.stdin_fd : -1);
    if (master_.valid()) tty::copy_window_size(r_.stdin_fd, master_.get());
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
  UniqueFd sync_r_, sync_w_, err_r_, err_w_, tty_parent_, tty_child_, handoff_parent_,
      handoff_child_, master_, listener_;
  std::optional<SignalMask> mask_;
  std::optional<exit_report::Watch> watch_;
  namespaces::Child child_;
};

}  // namespace

int launch(const LaunchRequest& r) {
  validate(r);
  require_single_thread();
  Launcher run(r);
  run.prepare();
  run.open_channels();
  run.start_child();
  run.release_child();
  run.await_exec();
  return run.finish(run.supervise());
}

}  // namespace policy::launch
