// Breakout attempts that a container runtime must stop: leaked fds, a working directory outside
// the root, the runtime's own binary, hostile images whose /proc, /sys or /dev/null are symlinks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/launch.hpp"

namespace fs = std::filesystem;

namespace {

void require_root() {
  if (::geteuid() != 0) GTEST_SKIP() << "launch tests need root";
}

// A copy of the busybox layer with one hostile change.
std::string hostile_layer(const std::string& name, const std::string& path,
                          const std::string& link_to) {
  std::string d = launch_test::new_layer(name);
  fs::copy(launch_test::busybox_layer(), d,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::path p = fs::path(d) / path.substr(1);
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  fs::create_symlink(link_to, p);
  return d;
}

void expect_refused(const std::string& layer, const std::string& what) {
  auto p = launch_test::docker_like_policy();
  try {
    auto r = launch_test::run(p, "echo ran", {layer});
    ADD_FAILURE() << "container ran with " << what << " a symlink: " << r.out;
  } catch (const policy::launch::LaunchError& e) {
    EXPECT_EQ(e.exit_code(), 125);
    EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Breakout, FdsOpenInTheRuntimeDoNotReachTheContainer) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  int fd = ::open("/etc", O_RDONLY | O_DIRECTORY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 57), 57);
  ::close(fd);
  auto r = launch_test::run(launch_test::docker_like_policy(), "ls /proc/self/fd | tr '\\n' ' '");
  ::close(57);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("57"), std::string::npos) << r.out;
  EXPECT_EQ(r.out, "0 1 2 3 ") << "only stdio and ls's own directory fd";
}

TEST(Breakout, WorkingDirectoryThroughALeakedFdIsRefused) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  // CVE-2024-21626: cwd /proc/self/fd/N naming a host directory fd still open in the runtime.
  int fd = ::open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  try {
    auto r = launch_test::run(launch_test::docker_like_policy(), "pwd; ls", {}, {}, false,
                              "/proc/self/fd/" + std::to_string(fd));
    ADD_FAILURE() << "ran with cwd outside the root: " << r.out;
  } catch (const policy::launch::LaunchError& e) {
    EXPECT_NE(std::string(e.what()).find("working directory"), std::string::npos) << e.what();
  }
  ::close(fd);
  EXPECT_THROW(
      launch_test::run(launch_test::docker_like_policy(), "pwd", {}, {}, false, "/../../../etc"),
      policy::launch::LaunchError);
}

TEST(Breakout, TheRuntimeBinaryIsNotReachableFromInside) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  std::string self = fs::read_symlink("/proc/self/exe").string();
  // Without init, PID 1 is the command itself; with init, PID 1 is non-dumpable.
  auto r = launch_test::run(launch_test::docker_like_policy(),
                            "readlink /proc/1/exe; for f in /proc/1/fd/*; do readlink $f; done");
  EXPECT_EQ(r.out.find(self), std::string::npos) << r.out;
  auto i = launch_test::run(launch_test::docker_like_policy(),
                            "readlink /proc/1/exe || echo denied; cat /proc/1/exe > /dev/null || "
                            "echo denied; for f in /proc/1/fd/*; do readlink $f; done",
                            {}, {}, true);
  EXPECT_EQ(i.out.substr(0, 14), "denied\ndenied\n") << i.out << i.err;
  EXPECT_EQ(i.out.find(self), std::string::npos);
}

TEST(Breakout, ImageWithProcAsSymlinkIsRefused) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  expect_refused(hostile_layer("proc-link", "/proc", "/"), "/proc");
}

TEST(Breakout, ImageWithSysAsSymlinkIsRefused) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  expect_refused(hostile_layer("sys-link", "/sys", "/etc"), "/sys");
}

TEST(Breakout, ImageWithDevNullAsSymlinkIsRefused) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  expect_refused(hostile_layer("devnull-link", "/dev/null", "/etc/passwd"), "/dev/null");
}

TEST(Breakout, ImageWithDevAsSymlinkIsRefused) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  expect_refused(hostile_layer("dev-link", "/dev", "/tmp"), "/dev");
}

TEST(Breakout, NothingIsLeftBehindAfterAFailedLaunch) {
  require_root();
  if (::testing::Test::IsSkipped()) return;
  auto p = launch_test::docker_like_policy();
  p.resources.pids = 10;
  policy::launch::LaunchRequest req;
  req.policy = &p;
  req.lower_dirs = {hostile_layer("proc-link2", "/proc", "/")};
  req.argv = {"/bin/true"};
  req.run_id = "failed-run";
  req.state_root = launch_test::state_root();
  EXPECT_THROW(launch_test::run_request(req), policy::launch::LaunchError);
  EXPECT_FALSE(fs::exists(launch_test::state_root() + "/run/failed-run"));
  for (const auto& d : launch_test::policyrun_cgroup_dirs())
    EXPECT_EQ(d.find("failed-run"), std::string::npos) << d << " left behind";
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning("failed-run").empty());
}
