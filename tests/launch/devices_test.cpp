// Device nodes, sysctls and the root's mount flags, on real containers: container root may create
// any node (CAP_MKNOD, `c *:* m`) but opens only what the devices rules allow (devices cgroup v1
// or the v2 BPF device program); Docker's namespaced sysctls land in the container's own network
// namespace; `root nosuid nodev` is honoured.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/common/error.hpp"
#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/devices.hpp"
#include "runtime/launch/files.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
namespace cg = policy::launch::cgroup;
using launch_test::docker_like_policy;
using launch_test::run;
using policy::ir::DeviceRule;

namespace {

std::string host_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// mknod a node inside the container, then open it for reading (sh's `<`): prints
// "<name> made" and then "<name> opened" or sh's error (with strerror) for the open.
std::string probe(const std::string& path, char type, int major, int minor) {
  std::string mk = "busybox mknod " + path + " " + type + " " + std::to_string(major) + " " +
                   std::to_string(minor);
  return mk + " && echo '" + path + " made'; (exec 3<" + path + ") 2>&1 && echo '" + path +
         " opened'; ";
}

constexpr uint8_t kRwm = DeviceRule::Read | DeviceRule::Write | DeviceRule::Mknod;

}  // namespace

// Item 2 of issue 10: under Docker's defaults, container root can create host devices in its
// /dev (CAP_MKNOD and `c *:* m` allow that) but cannot open them.
TEST(Devices, DockerDefaultsRefuseOpeningHostDevicesThatRootCanCreate) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();  // no devices section: Docker's allowlist
  std::string script = probe("/dev/tun", 'c', 10, 200) + probe("/dev/fuse2", 'c', 10, 229) +
                       probe("/dev/tty1", 'c', 4, 1) + probe("/dev/loop0", 'b', 7, 0) +
                       probe("/dev/loopctl", 'c', 10, 237) +
                       "head -c0 /dev/null && echo null-read; echo x > /dev/null && echo "
                       "null-write; head -c4 /dev/zero | wc -c";
  auto r = run(p, script);
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  for (const char* dev : {"/dev/tun", "/dev/fuse2", "/dev/tty1", "/dev/loop0", "/dev/loopctl"}) {
    std::string d = dev;
    EXPECT_NE(r.out.find(d + " made"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find(d + " opened"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("can't open " + d + ": Operation not permitted"), std::string::npos)
        << r.out;
  }
  EXPECT_NE(r.out.find("null-read"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("null-write"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("4\n"), std::string::npos) << r.out;
}

TEST(Devices, APolicyThatAllowsTunCanOpenIt) {
  SKIP_UNLESS(needs::root());
  struct stat st;
  if (::stat("/dev/net/tun", &st) != 0 || !S_ISCHR(st.st_mode))
    GTEST_SKIP() << "this host has no /dev/net/tun";
  auto p = docker_like_policy();
  p.resources.devices.specified = true;
  p.resources.devices.rules.push_back({DeviceRule::Char,
                                       major(st.st_rdev),
                                       minor(st.st_rdev),
                                       DeviceRule::Read | DeviceRule::Write,
                                       {}});
  auto r = run(p, "busybox mknod /dev/tun c " + std::to_string(major(st.st_rdev)) + " " +
                      std::to_string(minor(st.st_rdev)) +
                      " && (exec 3<>/dev/tun) 2>&1 && echo tun-opened; " +
                      probe("/dev/fuse2", 'c', 10, 229));
  EXPECT_NE(r.out.find("tun-opened"), std::string::npos) << r.out << r.err << r.diag;
  EXPECT_NE(r.out.find("can't open /dev/fuse2: Operation not permitted"), std::string::npos)
      << r.out;
}

TEST(Devices, AnEmptyDevicesSectionRefusesEvenTheMknodOfDev) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.resources.devices.specified = true;
  p.resources.devices.rules.clear();  // `devices { }`: every device refused
  try {
    auto r = run(p, "echo never");
    ADD_FAILURE() << "the container started without its /dev nodes: " << r.out;
  } catch (const policy::launch::LaunchError& e) {
    EXPECT_EQ(e.exit_code(), 125);
    EXPECT_NE(std::string(e.what()).find("mknod"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Operation not permitted"), std::string::npos) << e.what();
  }
}

// The v2 path on any host with a cgroup2 mount (hybrid hosts too): the run's cgroup in the
// unified hierarchy gets the BPF device program; a process in it may mknod (c *:* m) but not
// open a refused node, and may open an allowed one.
TEST(Devices, V2DeviceProgramRefusesOpeningInTheRunsCgroup) {
  SKIP_UNLESS(needs::root());
  cg::Layout l = cg::detect();
  if (l.v2_mount.empty()) GTEST_SKIP() << "no cgroup2 mounted on this host";
  l.mode = cg::Mode::V2;  // the v2 backend alone, even on a hybrid host
  l.v1_mounts.clear();
  l.v1_roots.clear();
  policy::ir::ResourceLimits lim;
  lim.devices.specified = true;
  lim.devices.rules = {{DeviceRule::Char, -1, -1, DeviceRule::Mknod, {}},
                       {DeviceRule::Char, 1, 3, kRwm, {}}};
  std::string id = "devices-" + policy::runtime::random_hex(6);
  std::unique_ptr<cg::RunCgroup> rc;
  try {
    rc = cg::create(l, id, lim);
  } catch (const policy::Error& e) {
    if (e.sys_errno() == EPERM || std::string(e.what()).find("BPF_PROG_LOAD") != std::string::npos)
      GTEST_SKIP() << "the kernel refuses cgroup device programs here: " << e.what();
    throw;
  }
  ASSERT_TRUE(rc);
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(go[1]);
    char c;
    if (::read(go[0], &c, 1) != 1) ::_exit(10);
    // A private tmpfs to mknod in, in a mount namespace of the child's own.
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(11);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(12);
    if (::mount("tmpfs", "/mnt", "tmpfs", 0, "size=64k") != 0) ::_exit(13);
    if (::mknod("/mnt/null", S_IFCHR | 0666, makedev(1, 3)) != 0) ::_exit(14);
    if (::mknod("/mnt/tun", S_IFCHR | 0666, makedev(10, 200)) != 0) ::_exit(15);
    if (::mknod("/mnt/loop0", S_IFBLK | 0666, makedev(7, 0)) == 0) ::_exit(16);  // b: no m
    if (errno != EPERM) ::_exit(17);
    int null_fd = ::open("/mnt/null", O_RDWR);
    if (null_fd < 0) ::_exit(18);
    if (::open("/mnt/tun", O_RDONLY) >= 0) ::_exit(19);
    ::_exit(errno == EPERM ? 0 : 20);
  }
  ::close(go[0]);
  rc->attach(child);
  ASSERT_EQ(::write(go[1], "g", 1), 1);
  ::close(go[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's failed step (see the exit codes above)";
  std::string dir = rc->dirs().at(0);
  rc->destroy();
  EXPECT_FALSE(fs::exists(dir));
}

TEST(Devices, V1LinesAndProgramShape) {
  EXPECT_EQ(policy::launch::devices::v1_line({DeviceRule::Char, 136, -1, kRwm, {}}), "c 136:* rwm");
  EXPECT_EQ(policy::launch::devices::v1_line({DeviceRule::Block, -1, -1, DeviceRule::Mknod, {}}),
            "b *:* m");
  EXPECT_EQ(policy::launch::devices::v1_line({DeviceRule::All, -1, -1, kRwm, {}}), "a *:* rwm");
  // Six loads/moves of the context; per rule: type, access (3), major, minor, return 1 (2);
  // a final return 0.
  auto prog = policy::launch::devices::program({{DeviceRule::Char, 1, 3, kRwm, {}}});
  EXPECT_EQ(prog.size(), 6u + 8u + 2u);
  EXPECT_EQ(prog.back().code, BPF_JMP | BPF_EXIT);
}

// Item 13: Docker mounts the root neither nodev nor nosuid; the devices rules decide instead.
TEST(RootFlags, DockerLikeRootAllowsItsOwnNullNodeButNotARefusedOne) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  auto r = run(p, "busybox mknod /tmp/n c 1 3 && head -c1 /tmp/n && echo tmp-null-read; " +
                      probe("/tmp/tun", 'c', 10, 200));
  EXPECT_NE(r.out.find("tmp-null-read"), std::string::npos) << r.out << r.err << r.diag;
  EXPECT_NE(r.out.find("can't open /tmp/tun: Operation not permitted"), std::string::npos) << r.out;
}

TEST(RootFlags, NodevRootRefusesDeviceNodesOnIt) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.rootfs.nodev = true;
  p.rootfs.nosuid = true;
  auto r = run(p,
               "busybox mknod /tmp/n c 1 3 && echo made; head -c1 /tmp/n && echo read; "
               "grep ' / / ' /proc/self/mountinfo");
  EXPECT_NE(r.out.find("made"), std::string::npos) << r.out << r.err << r.diag;
  EXPECT_EQ(r.out.find("read\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("nosuid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nodev"), std::string::npos) << r.out;
}

// Item 12: Docker's two namespaced sysctls, in the container's own network namespace.
TEST(Sysctl, DockersNetSysctlsApplyInsideAndNotOnTheHost) {
  SKIP_UNLESS(needs::root());
  const std::string host_port = host_file("/proc/sys/net/ipv4/ip_unprivileged_port_start");
  const std::string host_ping = host_file("/proc/sys/net/ipv4/ping_group_range");
  auto p = docker_like_policy();
  p.sysctls = {{"net.ipv4.ping_group_range", "0 2147483647", {}},
               {"net.ipv4.ip_unprivileged_port_start", "0", {}}};
  auto r = run(p,
               "cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
               "/proc/sys/net/ipv4/ping_group_range; echo 1 > "
               "/proc/sys/net/ipv4/ip_unprivileged_port_start || echo read-only");
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  EXPECT_EQ(r.out, "0\n0\t2147483647\nread-only\n") << r.err;
  EXPECT_EQ(host_file("/proc/sys/net/ipv4/ip_unprivileged_port_start"), host_port);
  EXPECT_EQ(host_file("/proc/sys/net/ipv4/ping_group_range"), host_ping);
}

TEST(Sysctl, ANonRootProcessBindsPort80OnlyWithTheSysctl) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.process.uid = 33;
  p.process.gid = 33;
  const std::string script =
      "id -u; busybox nc -l -p 80 2>&1 & pid=$!; sleep 1; kill $pid 2>/dev/null && echo bound";
  auto without = run(p, script);
  EXPECT_EQ(without.out.find("bound"), std::string::npos) << without.out;
  EXPECT_NE(without.out.find("Permission denied"), std::string::npos) << without.out;
  p.sysctls = {{"net.ipv4.ip_unprivileged_port_start", "0", {}}};
  auto with = run(p, script);
  EXPECT_EQ(with.out, "33\nbound\n") << with.err << with.diag;
}

TEST(Sysctl, AMissingSysctlFailsTheLaunchNamingIt) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.sysctls = {{"net.ipv4.no_such_knob", "1", {}}};
  try {
    auto r = run(p, "echo never");
    ADD_FAILURE() << "the container started without its sysctl: " << r.out;
  } catch (const policy::launch::LaunchError& e) {
    EXPECT_EQ(e.exit_code(), 125);
    EXPECT_NE(std::string(e.what()).find("sysctl net.ipv4.no_such_knob"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("/proc/sys/net/ipv4/no_such_knob"), std::string::npos)
        << e.what();
  }
}
