#include "container/stats_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/launch/launch.hpp"

namespace fs = std::filesystem;
using policy::container::State;
using policy::container::Status;
using policy::container::Store;

namespace stats_test {
namespace {

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// In the supervisor: records the started container and tells the test.
class Recorder : public policy::launch::RunObserver {
 public:
  Recorder(Store& store, State& s, int ready) : store_(store), s_(s), ready_(ready) {}
  void started(const Started& run) override {
    s_.status = Status::Running;
    s_.pid = run.pid;
    s_.pid_starttime = policy::container::starttime(run.pid);
    s_.cgroup_dirs = run.cgroup_dirs;
    s_.started_ns = now_ns();
    store_.save(s_);
    (void)!::write(ready_, "1", 1);
    ::close(ready_);
  }

 private:
  Store& store_;
  State& s_;
  int ready_;
};

[[noreturn]] void supervise(const policy::ir::Policy& policy, const std::string& script,
                            std::vector<sock_filter> filter, const std::string& root, State s,
                            int ready) {
  int status = 125;
  try {
    Store store(root);
    s.supervisor_pid = ::getpid();
    s.supervisor_starttime = policy::container::starttime(::getpid());
    store.create(s);
    auto req = launch_test::busybox_request(policy, {"/bin/sh", "-c", script});
    req.seccomp_filter = std::move(filter);
    req.state_root = root;
    req.run_id = s.id;
    const int out = ::open((root + "/output").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    req.stdin_fd = in;
    req.stdout_fd = req.stderr_fd = req.diagnostics_fd = out;
    Recorder recorder(store, s, ready);
    req.observers.push_back(&recorder);
    status = policy::launch::launch(req);
    s.status = Status::Exited;
    s.exit_code = status;
    s.finished_ns = now_ns();
    store.save(s);
  } catch (const std::exception& e) {
    const std::string msg = std::string("launch failed: ") + e.what() + "\n";
    (void)!::write(ready, msg.data(), msg.size());
  }
  ::_exit(status & 0xff);
}

}  // namespace

RunningContainer::RunningContainer(const policy::ir::Policy& policy, const std::string& script,
                                   const std::string& name, std::vector<sock_filter> filter)
    : name_(name) {
  char tmpl[] = "/tmp/stats-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  root_ = tmpl;
  State s;
  s.id = s.name = name;
  s.image = launch_test::busybox_layer();
  s.command = {"/bin/sh", "-c", script};
  s.user = "0";
  s.cwd = "/";
  s.env = {"PATH=/bin"};
  s.policy_name = policy.name;
  s.detached = true;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  launch_test::busybox_layer();  // built here, not in the child
  supervisor_ = ::fork();
  if (supervisor_ == 0) {
    ::close(pipe_fds[0]);
    supervise(policy, script, std::move(filter), root_, s, pipe_fds[1]);
  }
  ::close(pipe_fds[1]);
  std::string answer;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) {
    answer.append(buf, static_cast<size_t>(n));
    if (answer == "1") break;
  }
  ::close(pipe_fds[0]);
  if (answer != "1") {
    ::waitpid(supervisor_, nullptr, 0);
    supervisor_ = -1;
    throw std::runtime_error(answer.empty() ? "the supervisor died" : answer);
  }
  state_ = Store(root_).find(name);
}

RunningContainer::~RunningContainer() {
  if (supervisor_ > 0) {
    if (policy::container::starttime(state_.pid) == state_.pid_starttime)
      ::kill(state_.pid, SIGKILL);  // its pid namespace's init: the rest die with it
    ::waitpid(supervisor_, nullptr, 0);
  }
  std::error_code ec;
  fs::remove_all(root_, ec);
}

std::string RunningContainer::inside(const std::string& path) const {
  return "/proc/" + std::to_string(state_.pid) + "/root" + path;
}

std::string RunningContainer::wait_for_file(const std::string& path, int timeout_ms) const {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    auto text = policy::launch::files::try_read(inside(path));
    if (text && !text->empty()) return *text;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

std::string RunningContainer::cgroup_file(const std::string& file) const {
  for (const auto& d : state_.cgroup_dirs)
    if (fs::exists(d + "/" + file)) return d + "/" + file;
  return "";
}

policy::ir::Policy host_sys_policy() {
  auto p = launch_test::docker_like_policy();
  std::erase_if(p.namespaces.namespaces, [](auto& n) {
    return n.kind == policy::ir::NamespaceKind::Net || n.kind == policy::ir::NamespaceKind::Cgroup;
  });
  return p;
}

Cli policyrun(const RunningContainer& c, std::vector<std::string> args) {
  args.insert(args.begin() + 1, {"--root", c.root()});
  auto r = launch_test::run_policyrun(args);
  return {r.status, r.out, r.err};
}

}  // namespace stats_test
