// Breakout attempts that a container runtime must stop: leaked fds, a working directory outside
// the root, the runtime's own binary, hostile images whose /proc, /sys or /dev/null are symlinks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/launch.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;

namespace {

// A copy of the busybox layer with one hostile change.
std::string hostile_layer(const std::string& name, const std::string& path,
                          const std::string& link_to) {
  std::string d = launch_test::busybox_copy(name);
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
  SKIP_UNLESS(needs::root());
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
  SKIP_UNLESS(needs::root());
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
  SKIP_UNLESS(needs::root());
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
  SKIP_UNLESS(needs::root());
  expect_refused(hostile_layer("proc-link", "/proc", "/"), "/proc");
}

TEST(Breakout, ImageWithSysAsSymlinkIsRefused) {
  SKIP_UNLESS(needs::root());
  expect_refused(hostile_layer("sys-link", "/sys", "/etc"), "/sys");
}

TEST(Breakout, ImageWithDevNullAsSymlinkIsRefused) {
  SKIP_UNLESS(needs::root());
  expect_refused(hostile_layer("devnull-link", "/dev/null", "/etc/passwd"), "/dev/null");
}

TEST(Breakout, ImageWithDevAsSymlinkIsRefused) {
  SKIP_UNLESS(needs::root());
  expect_refused(hostile_layer("dev-link", "/dev", "/tmp"), "/dev");
}

TEST(Breakout, NothingIsLeftBehindAfterAFailedLaunch) {
  SKIP_UNLESS(needs::root());
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

namespace {

struct NodeState {
  mode_t mode;
  uid_t uid;
  gid_t gid;
  struct timespec ctime;
  bool operator==(const NodeState& o) const {
    return mode == o.mode && uid == o.uid && gid == o.gid && ctime.tv_sec == o.ctime.tv_sec &&
           ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

NodeState host_dev_null() {
  struct stat st {};
  EXPECT_EQ(::stat("/dev/null", &st), 0);
  return {st.st_mode, st.st_uid, st.st_gid, st.st_ctim};
}

// `chmod MODE` and `chown OWNER` on every masked path that is a file, from inside, as root.
std::string chmod_every_mask(const policy::ir::Policy& p, const std::string& mode,
                             const std::string& owner) {
  std::string list;
  for (const auto& m : p.rootfs.masked_paths) list += " " + m;
  auto r = launch_test::run(p, "n=0; for f in" + list +
                                   "; do [ -e $f ] && [ ! -d $f ] || continue; n=$((n+1)); "
                                   "busybox chmod " +
                                   mode +
                                   " $f && echo changed $f; "
                                   "busybox chown " +
                                   owner +
                                   " $f && echo changed $f; "
                                   "done; echo masked=$n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("changed"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("masked=0"), std::string::npos) << "no masked file to try: " << r.out;
  return r.out + r.err;
}

}  // namespace

// Docker's masked files (/proc/keys, /proc/timer_list, /proc/kcore...) are covered with a null
// device. If that were the host's /dev/null bound in, container root could chmod or chown the
// host's node through them (a chmod 000 breaks every program on the host). They are the
// container's own, bound read-only: every chmod and chown fails with EROFS. First with the
// host's own mode and owner (harmless even if the hole were open: only the ctime would change),
// then, when that held, the real attack, with the host's node restored if it ever changed.
TEST(Breakout, MasksAreNotTheHostsDevNull) {
  SKIP_UNLESS(needs::root());
  const NodeState before = host_dev_null();
  auto p = launch_test::docker_like_policy();
  char mode[8];
  std::snprintf(mode, sizeof mode, "%o", before.mode & 07777);
  std::string same_owner = std::to_string(before.uid) + ":" + std::to_string(before.gid);
  std::string out = chmod_every_mask(p, mode, same_owner);
  EXPECT_NE(out.find("Read-only file system"), std::string::npos) << out;
  ASSERT_TRUE(host_dev_null() == before)
      << "chmod/chown through a mask changed the host's /dev/null (its ctime moved)\n"
      << out;

  struct Restore {
    NodeState saved;
    ~Restore() {
      if (host_dev_null() == saved) return;
      ::chown("/dev/null", saved.uid, saved.gid);
      ::chmod("/dev/null", saved.mode & 07777);
    }
  } restore{before};
  out = chmod_every_mask(p, "000", "1:1");
  EXPECT_TRUE(host_dev_null() == before) << "the host's /dev/null changed\n" << out;
}
