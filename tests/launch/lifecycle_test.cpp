// A container dies with the policyrun that supervises it, and the next policyrun removes what a
// killed run left (docs/runtime.md "Lifetime"). Runs the real policyrun binary, SIGKILLs it at
// each stage (image unpack, setup, running) and counts processes, run records and directories,
// cgroup directories and host mounts before and after.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/cgroup.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;

using launch_test::policyrun_binary;
using launch_test::slurp;

namespace {

constexpr const char* kMarkKey = "LIFECYCLE_MARK";

const char* kPolicy = R"(policy box {
  syscalls default allow { errno(EPERM) kexec_load }
  capabilities keep { CHOWN, SETUID, SETGID }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  resources { memory 64M, pids 64 }
  process { no_new_privileges }
}
)";
// The same without a pid namespace: the container's processes are the host's.
const char* kPolicyNoPid = R"(policy box {
  syscalls default allow { errno(EPERM) kexec_load }
  capabilities keep { CHOWN, SETUID, SETGID }
  namespaces { mount, ipc, uts, net }
  resources { memory 64M, pids 64 }
  process { no_new_privileges }
}
)";

std::string write_policy(const std::string& name, const std::string& text) {
  std::string path = launch_test::scratch() + "/" + name + ".pol";
  std::ofstream(path) << text;
  return path;
}

// Docker's defaults as policyrun ships them.
std::string docker_default() {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  return std::string(src ? src : ".") + "/policies/docker-default.pol";
}

bool wait_until(const std::function<bool()>& done, int ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A policyrun started with LIFECYCLE_MARK=<mark> in its own environment and in the container's:
// every process of the run (policyrun, its child before execve, the container's processes)
// carries the mark in /proc/PID/environ.
struct PolicyrunProcess {
  pid_t pid = -1;
  std::string mark, out;
  int status = -1;
  // Waits for policyrun itself (its parent is this test).
  bool reap(int ms) {
    return wait_until(
        [&] {
          int st;
          pid_t p = ::waitpid(pid, &st, WNOHANG);
          if (p == pid) status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
          return p == pid;
        },
        ms);
  }
};

PolicyrunProcess start(const std::string& policy, const std::string& root, const std::string& image,
                       const std::vector<std::string>& command,
                       const std::vector<std::string>& options = {}) {
  static int counter = 0;
  PolicyrunProcess r;
  r.mark = "m" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  r.out = launch_test::scratch() + "/" + r.mark + ".out";
  std::vector<std::string> args = {policyrun_binary(),
                                   "--policy",
                                   policy,
                                   "--root",
                                   root,
                                   "--apparmor=off",
                                   "-e",
                                   std::string(kMarkKey) + "=" + r.mark,
                                   image};
  args.insert(args.end() - 1, options.begin(), options.end());
  args.insert(args.end(), command.begin(), command.end());
  r.pid = ::fork();
  if (r.pid == 0) {
    ::setenv(kMarkKey, r.mark.c_str(), 1);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(r.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return r;
}

// Live (not zombie) processes carrying `mark`, except policyrun itself when given.
std::vector<pid_t> marked(const std::string& mark, pid_t except = -1) {
  std::vector<pid_t> out;
  const std::string needle = std::string(kMarkKey) + "=" + mark;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    pid_t p = static_cast<pid_t>(std::atoi(e->d_name));
    if (p <= 0 || p == except) continue;
    std::string env = slurp("/proc/" + std::to_string(p) + "/environ");  // empty for a zombie
    for (size_t at = 0; at < env.size();) {
      size_t end = env.find('\0', at);
      if (end == std::string::npos) end = env.size();
      if (env.compare(at, end - at, needle) == 0) {
        out.push_back(p);
        break;
      }
      at = end + 1;
    }
  }
  if (d) ::closedir(d);
  return out;
}

std::string comm(pid_t p) {
  std::string c = slurp("/proc/" + std::to_string(p) + "/comm");
  while (!c.empty() && c.back() == '\n') c.pop_back();
  return c;
}

// Container processes of run `r` running `name`.
size_t count_named(const PolicyrunProcess& r, const std::string& name) {
  size_t n = 0;
  for (pid_t p : marked(r.mark, r.pid))
    if (comm(p) == name) ++n;
  return n;
}

// Everything a run leaves on the host, found by the run ids that <root>/run names.
struct Leftovers {
  std::set<std::string> ids;             // from <root>/run: records and state directories
  std::vector<std::string> run_entries;  // <root>/run/*
  std::vector<std::string> cgroup_dirs;  // policyrun/<id> of those ids, in every hierarchy
  std::vector<std::string> mounts;       // host mounts mentioning <root>
};

// policyrun/<id> may be under this process's cgroup or a hierarchy's root (cgroup_v2.cpp).
std::vector<std::string> cgroup_dirs_named(const std::set<std::string>& ids) {
  using namespace policy::launch::cgroup;
  std::vector<std::string> out;
  const std::string self = slurp("/proc/self/cgroup");
  const Layout layout = detect();
  std::set<std::string> parents;
  auto add = [&](const std::string& mount, const std::string& root, const std::string& ctrl) {
    parents.insert(own_dir(mount, root, own_path(self, ctrl)) + "/policyrun");
    parents.insert(mount + "/policyrun");
  };
  for (const auto& [ctrl, mount] : layout.v1_mounts) add(mount, layout.v1_roots.at(ctrl), ctrl);
  if (!layout.v2_mount.empty()) add(layout.v2_mount, layout.v2_root, "");
  for (const auto& p : parents)
    for (const auto& id : ids)
      if (fs::exists(p + "/" + id)) out.push_back(p + "/" + id);
  return out;
}

Leftovers leftovers(const std::string& root, std::set<std::string> ids = {}) {
  Leftovers l;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root + "/run", ec)) {
    std::string n = e.path().filename().string();
    l.run_entries.push_back(n);
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".lock") == 0) n.resize(n.size() - 5);
    ids.insert(n);
  }
  l.ids = ids;
  l.cgroup_dirs = cgroup_dirs_named(ids);
  l.mounts = launch_test::host_mount_lines_mentioning(root);
  return l;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

// The next launch with the same --root removes what the dead runs left.
void expect_next_launch_cleans(const std::string& policy, const std::string& root) {
  Leftovers before = leftovers(root);
  PolicyrunProcess next = start(policy, root, launch_test::busybox_layer(), {"true"});
  ASSERT_TRUE(next.reap(20000)) << "the next policyrun did not finish";
  EXPECT_EQ(next.status, 0) << slurp(next.out);
  Leftovers after = leftovers(root, before.ids);
  EXPECT_TRUE(after.run_entries.empty()) << join(after.run_entries);
  EXPECT_TRUE(after.cgroup_dirs.empty()) << join(after.cgroup_dirs);
  EXPECT_TRUE(after.mounts.empty()) << join(after.mounts);
}

std::string fresh_root(const std::string& name) {
  std::string root = launch_test::scratch() + "/lifecycle-" + name;
  fs::remove_all(root);
  return root;
}

}  // namespace

// SIGKILL of policyrun while the container runs: the container (pid 1 of its pid namespace, and
// with it every process in the namespace) is killed by the kernel at once; the run's record,
// state directory and cgroups stay until the next policyrun removes them.
TEST(Lifecycle, ContainerDiesWithPolicyrunWhileRunning) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = docker_default(), root = fresh_root("running");
  PolicyrunProcess r =
      start(pol, root, launch_test::busybox_layer(), {"sh", "-c", "sleep 1000 & exec sleep 1001"});
  ASSERT_TRUE(wait_until([&] { return count_named(r, "sleep") == 2; }, 20000)) << slurp(r.out);
  Leftovers running = leftovers(root);
  EXPECT_EQ(running.ids.size(), 1u) << join(running.run_entries);
  EXPECT_FALSE(running.cgroup_dirs.empty());
  ::kill(r.pid, SIGKILL);
  ASSERT_TRUE(r.reap(5000));
  EXPECT_TRUE(wait_until([&] { return marked(r.mark).empty(); }, 5000))
      << marked(r.mark).size() << " processes of the container outlived policyrun";
  expect_next_launch_cleans(pol, root);
}

// With --init the container's PID 1 is policyrun's own init, which forks the command: the init
// dies with policyrun, and the namespace with it.
TEST(Lifecycle, ContainerWithInitDiesWithPolicyrun) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("lifecycle", kPolicy), root = fresh_root("init");
  PolicyrunProcess r = start(pol, root, launch_test::busybox_layer(),
                             {"sh", "-c", "sleep 1000 & exec sleep 1001"}, {"--init"});
  ASSERT_TRUE(wait_until([&] { return count_named(r, "sleep") == 2; }, 20000)) << slurp(r.out);
  ::kill(r.pid, SIGKILL);
  ASSERT_TRUE(r.reap(5000));
  EXPECT_TRUE(wait_until([&] { return marked(r.mark).empty(); }, 5000))
      << marked(r.mark).size() << " processes of the container outlived policyrun";
  expect_next_launch_cleans(pol, root);
}

// Without a pid namespace the parent-death signal reaches only the container's first process;
// what it started is killed through the run's cgroup by the next policyrun.
TEST(Lifecycle, ProcessesLeftWithoutPidNamespaceAreKilledByTheNextLaunch) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("lifecycle-nopid", kPolicyNoPid), root = fresh_root("nopid");
  PolicyrunProcess r =
      start(pol, root, launch_test::busybox_layer(), {"sh", "-c", "sleep 1000 & exec sleep 1001"});
  ASSERT_TRUE(wait_until([&] { return count_named(r, "sleep") == 2; }, 20000)) << slurp(r.out);
  pid_t direct = -1;  // policyrun's child: the `exec sleep 1001`
  for (pid_t p : marked(r.mark, r.pid))
    if (slurp("/proc/" + std::to_string(p) + "/cmdline").find("1001") != std::string::npos)
      direct = p;
  ASSERT_GT(direct, 0);
  ::kill(r.pid, SIGKILL);
  ASSERT_TRUE(r.reap(5000));
  EXPECT_TRUE(wait_until(
      [&] {
        auto m = marked(r.mark);
        return std::find(m.begin(), m.end(), direct) == m.end();
      },
      5000))
      << "the container's first process outlived policyrun";
  expect_next_launch_cleans(pol, root);
  EXPECT_TRUE(wait_until([&] { return marked(r.mark).empty(); }, 5000))
      << marked(r.mark).size() << " processes of the dead run survived the next launch";
}

// SIGKILL at 20 points of the launch (compile, image, record, state, cgroups, clone, the child's
// setup, the command): each time the container's processes are gone within seconds, and the
// next launch removes every record, state directory and cgroup left.
TEST(Lifecycle, KilledDuringSetupLeavesNothingBehind) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("lifecycle", kPolicy), root = fresh_root("setup");
  // Warm the compile cache, so that the delays below fall into the launch itself, and time a
  // whole launch: the kills are spread from 0 to 1.5 times that.
  auto t0 = std::chrono::steady_clock::now();
  PolicyrunProcess warm = start(pol, root, launch_test::busybox_layer(), {"true"});
  ASSERT_TRUE(warm.reap(20000));
  ASSERT_EQ(warm.status, 0) << slurp(warm.out);
  auto launch_time =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  int running = 0;  // kills that came after the command started
  for (int i = 0; i < 20; ++i) {
    PolicyrunProcess r = start(pol, root, launch_test::busybox_layer(), {"sleep", "1000"});
    auto delay = launch_time * 3 * i / 40;
    std::this_thread::sleep_for(delay);
    if (count_named(r, "sleep") == 1) ++running;
    ::kill(r.pid, SIGKILL);
    ASSERT_TRUE(r.reap(5000));
    EXPECT_TRUE(wait_until([&] { return marked(r.mark).empty(); }, 5000))
        << "kill after " << delay.count() << " us: " << marked(r.mark).size()
        << " processes outlived policyrun";
  }
  EXPECT_GT(running, 0) << "no kill came after the command started (launch: " << launch_time.count()
                        << " us)";
  expect_next_launch_cleans(pol, root);
}

// SIGKILL while a tarball image is unpacked into <root>/tmp: the next launch, of a directory
// image, removes the half-unpacked layer.
TEST(Lifecycle, KilledDuringImageUnpackLeavesNoPartialLayer) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("lifecycle", kPolicy), root = fresh_root("unpack");
  std::string tree = launch_test::scratch() + "/lifecycle-bigtree";
  std::string tar = launch_test::scratch() + "/lifecycle-big.tar";
  if (!fs::exists(tar)) {
    fs::create_directories(tree);
    ASSERT_EQ(std::system(("cp -a " + launch_test::busybox_layer() + "/. " + tree).c_str()), 0);
    fs::create_directories(tree + "/many");
    for (int i = 0; i < 20000; ++i) std::ofstream(tree + "/many/f" + std::to_string(i)) << i;
    ASSERT_EQ(std::system(("tar -C " + tree + " -cf " + tar + " .").c_str()), 0);
  }
  auto tmp_entries = [&] {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root + "/tmp", ec))
      if (e.is_directory()) out.push_back(e.path().string());
    return out;
  };
  PolicyrunProcess r = start(pol, root, tar, {"true"});
  bool unpacking = wait_until([&] { return !tmp_entries().empty(); }, 20000);
  ::kill(r.pid, SIGKILL);
  ASSERT_TRUE(r.reap(5000));
  ASSERT_TRUE(unpacking) << "never saw the layer being unpacked: " << slurp(r.out);
  ASSERT_FALSE(tmp_entries().empty()) << "the unpack finished before the kill";
  expect_next_launch_cleans(pol, root);
  EXPECT_TRUE(tmp_entries().empty()) << join(tmp_entries());
}

// A run whose policyrun lives is never touched by another launch's collection, even with the
// same --root.
TEST(Lifecycle, TheNextLaunchNeverTouchesALiveRun) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("lifecycle", kPolicy), root = fresh_root("live");
  PolicyrunProcess a =
      start(pol, root, launch_test::busybox_layer(), {"sh", "-c", "sleep 3; echo alive"});
  ASSERT_TRUE(wait_until([&] { return count_named(a, "sleep") == 1; }, 20000)) << slurp(a.out);
  Leftovers before = leftovers(root);
  PolicyrunProcess b = start(pol, root, launch_test::busybox_layer(), {"true"});
  ASSERT_TRUE(b.reap(20000));
  EXPECT_EQ(b.status, 0) << slurp(b.out);
  Leftovers during = leftovers(root);
  EXPECT_EQ(during.run_entries, before.run_entries);
  EXPECT_EQ(during.cgroup_dirs, before.cgroup_dirs);
  EXPECT_EQ(count_named(a, "sleep"), 1u);
  ASSERT_TRUE(a.reap(20000));
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(slurp(a.out), "alive\n");
  EXPECT_TRUE(leftovers(root).run_entries.empty());
}

// The terminal closes: policyrun forwards SIGHUP; a container that exits on it gives its status,
// one that ignores it (here `sleep`, pid 1 of its namespace, where SIGHUP's default action does
// not apply) is killed after a grace period, and policyrun exits with 128 + SIGHUP.
TEST(Lifecycle, HangupEndsTheRun) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("lifecycle", kPolicy), root = fresh_root("hangup");
  PolicyrunProcess handles = start(pol, root, launch_test::busybox_layer(),
                                   {"sh", "-c",
                                    "trap 'echo hup; exit 7' HUP; echo ready; "
                                    "while :; do sleep 0.1; done"});
  ASSERT_TRUE(
      wait_until([&] { return slurp(handles.out).find("ready") != std::string::npos; }, 20000));
  ::kill(handles.pid, SIGHUP);
  ASSERT_TRUE(handles.reap(3000));
  EXPECT_EQ(handles.status, 7);
  EXPECT_EQ(slurp(handles.out), "ready\nhup\n");

  PolicyrunProcess ignores = start(pol, root, launch_test::busybox_layer(), {"sleep", "1000"});
  ASSERT_TRUE(wait_until([&] { return count_named(ignores, "sleep") == 1; }, 20000));
  ::kill(ignores.pid, SIGHUP);
  bool exited = ignores.reap(10000);
  if (!exited) ::kill(ignores.pid, SIGKILL), ignores.reap(5000);
  EXPECT_TRUE(exited) << "policyrun did not end the run after a hangup";
  EXPECT_EQ(ignores.status, 128 + SIGHUP);
  EXPECT_TRUE(wait_until([&] { return marked(ignores.mark).empty(); }, 5000));
  EXPECT_TRUE(leftovers(root).run_entries.empty()) << join(leftovers(root).run_entries);
}
