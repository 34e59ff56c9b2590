#include "runtime/container/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/container/log.hpp"

namespace policy::container {
namespace {

using runtime::UniqueFd;

// What the kernel's OOM killer leaves in the runtime's report (runtime/launch/cgroup.cpp).
constexpr const char* kOomReport = "killed by the kernel's OOM killer";

// The container's stdout and stderr pipes and policyrun's own diagnostics, into the log.
class Output : public launch::RunObserver {
 public:
  Output(log::Writer& writer, int out, int err, int diag) : writer_(writer), fds_{out, err, diag} {}
  std::vector<int> watched_fds() override { return {fds_[0], fds_[1], fds_[2]}; }
  bool readable(int fd) override { return pump(fd); }
  // After the run: what is left in the pipes (non-blocking: a process that escaped the
  // container's cgroup may hold a pipe open; nothing waits for it).
  void drain() {
    for (int fd : fds_) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      while (pump(fd)) {
      }
    }
    writer_.flush();
  }
  bool oom_killed() const { return diagnostics_.find(kOomReport) != std::string::npos; }

 private:
  bool pump(int fd) {
    char buf[65536];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return n < 0 && errno == EINTR;
    const std::string_view bytes(buf, static_cast<size_t>(n));
    if (fd == fds_[0]) {
      writer_.append(log::Stream::Stdout, bytes);
    } else if (fd == fds_[1]) {
      writer_.append(log::Stream::Stderr, bytes);
    } else {
      writer_.append(log::Stream::Runtime, bytes);
      if (diagnostics_.size() < 65536) diagnostics_.append(bytes);
    }
    return true;
  }
  log::Writer& writer_;
  int fds_[3];
  std::string diagnostics_;
};

// Test hook (tests/container/life_lifetime_test.cpp): POLICYRUN_TEST_SUPERVISOR_STOP=created
// stops the supervisor (SIGSTOP) once the container's process exists, in its cgroups, but has
// not started its setup, so that a test can SIGKILL the supervisor at that stage.
class StopWhenCreated : public launch::RunObserver {
 public:
  bool wants_created() const override { return true; }
  void created(pid_t, int) override { ::raise(SIGSTOP); }
};

struct Pipe {
  UniqueFd r, w;
};
Pipe make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw sys_error("pipe2 for the container's output");
  return {UniqueFd(p[0]), UniqueFd(p[1])};
}

void send_report(UniqueFd& sock, const std::string& text) {
  if (!sock.valid()) return;
  // MSG_NOSIGNAL: a `run -d` that is gone must not take the supervisor with it (SIGPIPE).
  if (::send(sock.get(), text.data(), text.size(), MSG_NOSIGNAL) < 0) {
  }
  sock.reset();
}

// The supervisor's life: never returns to the caller's code.
[[noreturn]] void supervise(launch::LaunchRequest req, Store& store, State& state, int report_fd) {
  UniqueFd report(report_fd);
  std::optional<log::Writer> writer;
  Recorder recorder(store, state);
  int code = 0;
  std::string message;
  try {
    ::setsid();  // the terminal's SIGHUP and SIGINT are no longer ours
    state.supervisor_pid = ::getpid();
    state.supervisor_starttime = starttime(state.supervisor_pid);
    store.save(state);
    writer.emplace(store.dir(state.id));
    Pipe out = make_pipe(), err = make_pipe(), diag = make_pipe();
    ::fcntl(diag.w.get(), F_SETPIPE_SZ, 1 << 20);  // explanations come in bursts
    // stdin and our stdout: /dev/null; our stderr (diagnostics, explanations): the log.
    UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null.valid() || ::dup2(null.get(), 0) < 0 || ::dup2(null.get(), 1) < 0 ||
        ::dup2(diag.w.get(), 2) < 0)
      throw sys_error("set up the supervisor's stdio");
    diag.w.reset();
    req.stdin_fd = 0;
    req.stdout_fd = out.w.get();
    req.stderr_fd = err.w.get();
    req.diagnostics_fd = 2;
    Output output(*writer, out.r.get(), err.r.get(), diag.r.get());
    recorder.on_started = [&] { send_report(report, "started\n"); };
    StopWhenCreated stop_hook;
    const char* hook = std::getenv("POLICYRUN_TEST_SUPERVISOR_STOP");
    if (hook && std::strcmp(hook, "created") == 0) req.observers.push_back(&stop_hook);
    req.observers.push_back(&recorder);
    req.observers.push_back(&output);
    const int status = launch::launch(req);
    out.w.reset();
    err.w.reset();
    output.drain();
    recorder.exited(status, output.oom_killed() ? "OOM killed" : "");
    ::_exit(0);
  } catch (const launch::LaunchError& e) {
    code = e.exit_code();
    message = e.what();
  } catch (const std::exception& e) {
    code = launch::kExitRuntimeError;
    message = e.what();
  }
  if (writer) {
    writer->append(log::Stream::Runtime, "policyrun: error: " + message + "\n");
    writer->flush();
  }
  send_report(report, "error " + std::to_string(code) + "\n" + message);
  try {
    recorder.failed();
  } catch (const std::exception&) {
  }
  ::_exit(code);
}

}  // namespace

void Recorder::started(const Started& run) {
  state_.status = Status::Running;
  state_.pid = run.pid;
  state_.pid_starttime = starttime(run.pid);
  state_.cgroup_dirs = run.cgroup_dirs;
  state_.started_ns = realtime_ns();
  store_.save(state_);
  if (on_started) on_started();
}

void Recorder::exited(int status, const std::string& note) {
  if (state_.auto_remove) {
    store_.remove(state_.id);
    return;
  }
  state_.status = Status::Exited;
  state_.exit_code = status;
  state_.exit_note = note;
  state_.finished_ns = realtime_ns();
  store_.save(state_);
}

void Recorder::failed() {
  store_.remove(state_.id);
}

int run_foreground(launch::LaunchRequest& req, Store& store, State& state) {
  Recorder recorder(store, state);
  req.observers.push_back(&recorder);
  int status;
  try {
    status = launch::launch(req);
  } catch (...) {
    recorder.failed();
    throw;
  }
  recorder.exited(status);
  return status;
}

int run_detached(launch::LaunchRequest& req, Store& store, State& state) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw sys_error("socketpair for the supervisor's report");
  UniqueFd mine(sv[0]), theirs(sv[1]);
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid < 0) throw sys_error("fork the container's supervisor");
  if (pid == 0) {
    mine.reset();
    supervise(req, store, state, theirs.release());
  }
  theirs.reset();
  std::string report;
  char buf[4096];
  for (ssize_t n; (n = ::read(mine.get(), buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    report.append(buf, static_cast<size_t>(n));
  }
  if (report == "started\n") {
    std::cout << state.id << "\n";
    return 0;
  }
  if (report.rfind("error ", 0) == 0 && report.find('\n') != std::string::npos) {
    const size_t nl = report.find('\n');
    const int code = std::atoi(report.c_str() + 6);
    std::cerr << "policyrun: error: " << report.substr(nl + 1) << "\n";
    return code > 0 ? code : launch::kExitRuntimeError;
  }
  // Killed before it could say: the container never started (its process died with the
  // supervisor); the reaper removes what the launch had made, and the record goes.
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  store.list();
  store.remove(state.id);
  throw Error("the container's supervisor (pid " + std::to_string(pid) +
              ") died before the container started; nothing was left running");
}

}  // namespace policy::container
