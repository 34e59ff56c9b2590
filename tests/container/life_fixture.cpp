#include "container/life_fixture.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/common/host.hpp"

namespace fs = std::filesystem;

namespace life_test {
namespace {

// A writable root (overlayfs over the image, a state directory under <root>/run), limits that
// give the run its own cgroups, and a pid namespace.
const char* kPolicy = R"(policy box {
  syscalls default allow { }
  capabilities keep { CHOWN, SETUID, SETGID, KILL }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  resources { memory 64M, pids 64 }
  process { no_new_privileges }
  rootfs { tmpfs /tmp size=1M }
}
)";

std::string out_file(pid_t pid) {
  return launch_test::scratch() + "/life-spawn-" + std::to_string(pid);
}

}  // namespace

void LifeTest::SetUp() {
  char tmpl[] = "/tmp/life-root-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  root_ = tmpl;
  policy_ = root_ + "-box.pol";
  std::ofstream(policy_) << kPolicy;
  image_ = launch_test::busybox_layer();
}

void LifeTest::TearDown() {
  for (pid_t p : spawned_) {
    ::kill(p, SIGKILL);
    ::waitpid(p, nullptr, 0);
  }
  policy::container::Store store(root_);
  for (const auto& s : store.list()) pr("rm", {"-f", s.id});
  store.list();  // the reaper, for what a killed run left
  std::error_code ec;
  fs::remove_all(root_, ec);
  fs::remove(policy_, ec);
}

launch_test::CliResult LifeTest::pr(const std::string& command, std::vector<std::string> args) {
  args.insert(args.begin(), {command, "--root", root_});
  return launch_test::run_policyrun(args);
}

std::vector<std::string> LifeTest::run_args(std::vector<std::string> options,
                                            const std::string& script) {
  std::vector<std::string> a = {"--policy", policy_, "--apparmor=off"};
  a.insert(a.end(), options.begin(), options.end());
  a.insert(a.end(), {image_, "sh", "-c", script});
  return a;
}

pid_t LifeTest::spawn(const std::string& command, std::vector<std::string> args) {
  if (!command.empty()) args.insert(args.begin(), {command, "--root", root_});
  std::vector<std::string> argv = {launch_test::policyrun_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string base = out_file(::getpid());
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  spawned_.push_back(pid);
  return pid;
}

std::string LifeTest::spawned_out(pid_t pid) const {
  return launch_test::slurp(out_file(pid) + ".out");
}
std::string LifeTest::spawned_err(pid_t pid) const {
  return launch_test::slurp(out_file(pid) + ".err");
}

int LifeTest::reap(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -2;
  std::erase(spawned_, pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

policy::container::State LifeTest::state(const std::string& name) {
  return policy::container::Store(root_).find(name);
}

bool LifeTest::wait_for(const std::string& id, bool (*pred)(const policy::container::State&)) {
  const std::string path = root_ + "/containers/" + id + "/state.json";
  for (int i = 0; i < 1000; ++i) {
    auto s = policy::container::from_json(launch_test::slurp(path));
    if (s && pred(*s)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

Leftovers LifeTest::leftovers(const policy::container::State& s) const {
  Leftovers l;
  l.mounts = launch_test::host_mount_lines_mentioning(root_);
  for (const auto& d : s.cgroup_dirs)
    if (fs::exists(d)) l.cgroups.push_back(d);
  for (const auto& d : launch_test::policyrun_cgroup_dirs())
    if (d.ends_with("/policyrun/" + s.id)) l.cgroups.push_back(d);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ + "/run", ec))
    if (e.path().filename().string().starts_with(s.id)) l.run_entries.push_back(e.path());
  return l;
}

std::string describe(const Leftovers& l) {
  std::string out;
  for (const auto* v : {&l.mounts, &l.cgroups, &l.run_entries})
    for (const auto& x : *v) out += "  " + x + "\n";
  return out;
}

char proc_state(pid_t pid) {
  const std::string stat = launch_test::slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return 0;
  return stat[paren + 2];
}

}  // namespace life_test
