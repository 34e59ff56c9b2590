#include "container/exec_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "runtime/container/store.hpp"
#include "runtime/launch/denials.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/launch/policy_cache.hpp"

namespace fs = std::filesystem;

namespace exec_test {
namespace {

// Records the container in the store once its command has started, as `policyrun run` does.
class StoreRecorder : public policy::launch::RunObserver {
 public:
  StoreRecorder(policy::container::Store& store, policy::container::State state,
                const policy::ir::Policy& p, const std::vector<sock_filter>& filter)
      : store_(store), state_(std::move(state)), policy_(p), filter_(filter) {}
  void started(const Started& run) override {
    state_.status = policy::container::Status::Running;
    state_.pid = run.pid;
    state_.pid_starttime = policy::container::starttime(run.pid);
    state_.supervisor_pid = ::getpid();
    state_.supervisor_starttime = policy::container::starttime(::getpid());
    state_.cgroup_dirs = run.cgroup_dirs;
    store_.create(state_);
    store_.save_policy(state_.id, policy_, filter_);
    state_.policy_sha256 = store_.policy_sha256(state_.id);
    store_.save(state_);
  }

 private:
  policy::container::Store& store_;
  policy::container::State state_;
  const policy::ir::Policy& policy_;
  const std::vector<sock_filter>& filter_;
};

[[noreturn]] void supervise(const std::string& name, const std::string& root,
                            const std::string& policy_file, const std::vector<std::string>& argv,
                            const ContainerOptions& o) {
  try {
    policy::launch::CompileRequest compile;
    compile.policy_file = policy_file;
    compile.explain_denials = o.explain;
    std::string diagnostics;
    auto compiled = policy::launch::compile_policy(compile, diagnostics);
    if (!compiled) {
      std::fputs(diagnostics.c_str(), stderr);
      ::_exit(125);
    }
    std::vector<sock_filter> filter = std::move(compiled->filter);
    policy::launch::LaunchRequest req = launch_test::busybox_request(compiled->policy, argv);
    req.seccomp_filter = filter;
    req.env = o.env;
    req.cwd = o.cwd;
    req.user = o.user;
    req.state_root = root;
    req.run_id = name;
    req.apparmor = policy::launch::AppArmorMode::Off;
    req.stdin_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    // As `policyrun run`: explain mode's notifications answered with the policy's errno.
    std::optional<policy::launch::denials::Explainer> explainer;
    if (policy::launch::denials::notifies(filter)) {
      explainer.emplace(compiled->policy, policy::launch::landlock_abi(),
                        policy::launch::denials::Format::Text, 2);
      req.notify = &*explainer;
    }
    policy::container::Store store(root);
    policy::container::State s;
    s.id = s.name = name;
    s.image = launch_test::busybox_layer();
    s.command = argv;
    s.user = o.user;
    s.cwd = o.cwd;
    s.env = o.env;
    s.policy_file = policy_file;
    s.labels["apparmor"] = "off";
    StoreRecorder recorder(store, s, compiled->policy, filter);
    req.observers.push_back(&recorder);
    ::_exit(policy::launch::launch(req));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "container %s: %s\n", name.c_str(), e.what());
  }
  ::_exit(125);
}

}  // namespace

Container::Container(const std::string& name, const std::string& policy_text,
                     const std::vector<std::string>& argv, const ContainerOptions& o)
    : name_(name) {
  root_ = launch_test::scratch() + "/exec-root-" + name;
  fs::remove_all(root_);
  fs::create_directories(root_);
  const std::string policy_file = root_ + "/" + name + ".pol";
  std::ofstream(policy_file) << policy_text;
  log_ = root_ + "/supervisor.log";
  launch_test::busybox_layer();  // built here: the forked child's copy would be lost
  std::fflush(nullptr);
  supervisor_ = ::fork();
  if (supervisor_ < 0) throw std::runtime_error("fork");
  if (supervisor_ == 0) {
    const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ::dup2(log, 1);
    ::dup2(log, 2);
    supervise(name, root_, policy_file, argv, o);
  }
  policy::container::Store store(root_);
  for (int i = 0; i < 1000; ++i) {
    for (const auto& s : store.list())
      if (s.id == name && s.status == policy::container::Status::Running) pid_ = s.pid;
    if (pid_ > 0) return;
    int status;
    if (::waitpid(supervisor_, &status, WNOHANG) == supervisor_) {
      supervisor_ = -1;
      throw std::runtime_error("container " + name + " did not start: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("container " + name + " is not running after 10 s: " + log());
}

Container::~Container() {
  if (supervisor_ > 0) {
    // The first process killed, the launch ends and removes the cgroups and state. The
    // supervisor is killed after 10 s (the container dies with it: PR_SET_PDEATHSIG).
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    bool gone = false;
    for (int i = 0; i < 1000 && !gone; ++i) {
      gone = ::waitpid(supervisor_, nullptr, WNOHANG) == supervisor_;
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!gone) {
      ::kill(supervisor_, SIGKILL);
      while (::waitpid(supervisor_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    // The run record is unlocked now: the reaper (any later launch, Store::list) takes its
    // cgroups and state; do it here so that the test leaves nothing behind.
    policy::container::Store(root_).list();
  }
  std::error_code ec;
  fs::remove_all(root_ + "/containers", ec);
}

launch_test::CliResult Container::exec(const std::vector<std::string>& args) const {
  std::vector<std::string> all = {"exec", "--root", root_};
  all.insert(all.end(), args.begin(), args.end());
  return launch_test::run_policyrun(all);
}

std::string Container::log() const {
  return read_file(log_);
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

std::string link_of(const std::string& path) {
  std::error_code ec;
  auto target = fs::read_symlink(path, ec);
  return ec ? "" : target.string();
}

}  // namespace exec_test
