// cgroups: layout detection on this host and on other layouts' text, the shares/weight mapping,
// and real limits enforced by the kernel on real containers.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/files.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
namespace cg = policy::launch::cgroup;

TEST(CgroupLayout, DetectsThisHost) {
  auto l = cg::detect();
  // Whatever this host is, the answer must agree with its mount table.
  std::ifstream mi("/proc/self/mountinfo");
  bool v1 = false, v2 = false;
  for (std::string line; std::getline(mi, line);) {
    if (line.find(" - cgroup2 ") != std::string::npos)
      v2 = true;
    else if (line.find(" - cgroup ") != std::string::npos)
      v1 = true;
  }
  cg::Mode expected = v1 && v2 ? cg::Mode::Hybrid
                      : v1     ? cg::Mode::V1
                      : v2     ? cg::Mode::V2
                               : cg::Mode::None;
  // A v1 hierarchy with no controller (name=systemd only) does not make a host v1.
  if (v1 && l.v1_mounts.empty()) expected = v2 ? cg::Mode::V2 : cg::Mode::None;
  EXPECT_EQ(l.mode, expected) << cg::mode_name(l.mode);
  for (const auto& [ctrl, mount] : l.v1_mounts) EXPECT_TRUE(fs::is_directory(mount)) << ctrl;
}

TEST(CgroupLayout, ParsesV2OnlyHybridAndV1Text) {
  const std::string proc_cgroups =
      "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t0\t1\t1\ncpu\t0\t1\t1\n"
      "memory\t0\t1\t1\npids\t0\t1\t1\ncpuacct\t0\t1\t1\n";
  auto v2 = cg::parse_layout(
      "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n",
      proc_cgroups);
  EXPECT_EQ(v2.mode, cg::Mode::V2);
  EXPECT_EQ(v2.v2_mount, "/sys/fs/cgroup");
  auto v1 = cg::parse_layout(
      "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n",
      proc_cgroups);
  EXPECT_EQ(v1.mode, cg::Mode::V1);
  EXPECT_EQ(v1.v1_mounts.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(v1.v1_mounts.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(v1.v1_mounts.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(v1.v1_mounts.count("pids"), 0u);
  auto hybrid = cg::parse_layout(
      "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
      "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
      proc_cgroups);
  EXPECT_EQ(hybrid.mode, cg::Mode::Hybrid);
  EXPECT_EQ(hybrid.v2_mount, "/sys/fs/cgroup/unified");
}

TEST(CgroupLayout, OwnPathAndDir) {
  const std::string self = "4:memory:/process_api/abc\n1:cpu:/\n0::/user.slice\n";
  EXPECT_EQ(cg::own_path(self, "memory"), "/process_api/abc");
  EXPECT_EQ(cg::own_path(self, "cpu"), "/");
  EXPECT_EQ(cg::own_path(self, ""), "/user.slice");
  EXPECT_EQ(cg::own_dir("/sys/fs/cgroup/memory", "/", "/process_api/abc"),
            "/sys/fs/cgroup/memory/process_api/abc");
  EXPECT_EQ(cg::own_dir("/sys/fs/cgroup/memory", "/process_api", "/process_api/abc"),
            "/sys/fs/cgroup/memory/abc");
  EXPECT_EQ(cg::own_dir("/sys/fs/cgroup", "/", "/"), "/sys/fs/cgroup");
}

TEST(CgroupLayout, SharesToWeightAsRuncConverts) {
  EXPECT_EQ(cg::shares_to_weight(2), 1u);
  EXPECT_EQ(cg::shares_to_weight(1024), 39u);
  EXPECT_EQ(cg::shares_to_weight(262144), 10000u);
  EXPECT_EQ(cg::shares_to_weight(512), 1 + (510 * 9999) / 262142);
  EXPECT_EQ(cg::weight_to_shares(1), 2u);
  EXPECT_EQ(cg::weight_to_shares(10000), 262144u);
}

namespace {

// Why this host cannot run the v1 limit tests ("" when it can).
std::string v1_controllers_missing() {
  auto l = cg::detect();
  for (const char* c : {"memory", "pids", "cpu"})
    if (!l.v1_mounts.count(c))
      return std::string("this host has no cgroup v1 '") + c +
             "' hierarchy (the v2 path is exercised on v2 hosts)";
  return "";
}

policy::ir::Policy shared_net_policy() {
  // No net/cgroup namespace: /sys is then a read-only bind of the host's, so the container can
  // read its own limit files, and /proc/self/cgroup shows the full host paths.
  auto p = launch_test::docker_like_policy();
  std::erase_if(p.namespaces.namespaces, [](auto& n) {
    return n.kind == policy::ir::NamespaceKind::Net || n.kind == policy::ir::NamespaceKind::Cgroup;
  });
  return p;
}

}  // namespace

TEST(CgroupLimits, V1LimitFilesHoldThePolicysValuesInsideTheRun) {
  SKIP_UNLESS(needs::root(), v1_controllers_missing());
  auto p = shared_net_policy();
  p.resources.memory_bytes = 64ull << 20;
  p.resources.pids = 32;
  p.resources.cpu_shares = 512;
  p.resources.cpu_quota_us = 50000;
  p.resources.cpu_period_us = 100000;
  auto req = launch_test::busybox_request(
      p, {"/bin/sh", "-c",
          "m=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3); "
          "p=$(grep ':pids:' /proc/self/cgroup | cut -d: -f3); "
          "c=$(grep ':cpu:' /proc/self/cgroup | cut -d: -f3); "
          "echo $m; cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes "
          "/sys/fs/cgroup/memory$m/memory.memsw.limit_in_bytes /sys/fs/cgroup/pids$p/pids.max "
          "/sys/fs/cgroup/cpu$c/cpu.shares /sys/fs/cgroup/cpu$c/cpu.cfs_quota_us; "
          "echo 1 > /sys/fs/cgroup/pids$p/pids.max || echo cannot-raise"});
  req.run_id = "limits-" + policy::runtime::random_hex(6);
  auto r = launch_test::run_request(req);
  ASSERT_EQ(r.status, 0) << r.err;
  std::string memsw = fs::exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
                          ? std::to_string(64ull << 20) + "\n"
                          : "";
  EXPECT_NE(r.out.find("/policyrun/" + req.run_id + "\n" + std::to_string(64ull << 20) + "\n" +
                       memsw + "32\n512\n50000\ncannot-raise\n"),
            std::string::npos)
      << r.out << r.err;
  // Nothing of the run is left: no cgroup dirs, no state dir, no mounts on the host.
  for (const auto& d : launch_test::policyrun_cgroup_dirs())
    EXPECT_EQ(d.find(req.run_id), std::string::npos) << d << " left behind";
  EXPECT_FALSE(fs::exists(launch_test::state_root() + "/run/" + req.run_id));
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning(req.run_id).empty());
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning(launch_test::scratch()).empty());
}

TEST(CgroupLimits, V1RunWithoutLimitsHasItsOwnAccountingGroups) {
  SKIP_UNLESS(needs::root());
  auto l = cg::detect();
  if (l.mode != cg::Mode::Hybrid && l.mode != cg::Mode::V1) GTEST_SKIP() << "v1 host only";
  // No resources at all: the run still gets a directory of its own in each accounting
  // hierarchy, so that `policyrun stats` reads its own CPU time, memory and I/O.
  const auto p = shared_net_policy();
  auto req = launch_test::busybox_request(p, {"/bin/cat", "/proc/self/cgroup"});
  req.run_id = "acct-" + policy::runtime::random_hex(6);
  auto r = launch_test::run_request(req);
  ASSERT_EQ(r.status, 0) << r.err;
  int checked = 0;
  for (const char* ctrl : {"memory", "pids", "cpu", "cpuacct", "blkio"}) {
    if (!l.v1_mounts.count(ctrl)) continue;
    const std::string path = cg::own_path(r.out, ctrl);
    EXPECT_TRUE(path.ends_with("/policyrun/" + req.run_id)) << ctrl << ": " << path << "\n"
                                                            << r.out;
    ++checked;
  }
  EXPECT_GT(checked, 0) << r.out;
  for (const auto& d : launch_test::policyrun_cgroup_dirs())
    EXPECT_EQ(d.find(req.run_id), std::string::npos) << d << " left behind";
}

TEST(CgroupLimits, ForkBombIsStoppedByThePidsLimitAndReported) {
  SKIP_UNLESS(needs::root(), v1_controllers_missing());
  auto p = launch_test::docker_like_policy();
  p.resources.pids = 8;
  auto r = launch_test::run(p, "i=0; while [ $i -lt 20 ]; do sleep 1 & i=$((i+1)); done; exit 0");
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.err;
  EXPECT_NE(r.diag.find("hit its pids limit of 8"), std::string::npos) << r.diag;
}

TEST(CgroupLimits, MemoryHogIsOomKilledAndReported) {
  SKIP_UNLESS(needs::root(), v1_controllers_missing());
  auto p = launch_test::docker_like_policy();
  p.resources.memory_bytes = 32ull << 20;
  auto r = launch_test::run(p, "dd if=/dev/zero of=/dev/null bs=128M count=1; echo survived");
  EXPECT_NE(r.diag.find("OOM killer"), std::string::npos) << r.diag << r.err << r.out;
  EXPECT_NE(r.err.find("Killed"), std::string::npos) << r.err;
}

TEST(CgroupLimits, UnavailableControllerFailsClosed) {
  SKIP_UNLESS(needs::root());
  auto l = cg::detect();
  if (l.mode != cg::Mode::Hybrid && l.mode != cg::Mode::V1) GTEST_SKIP() << "v1 host only";
  // hugetlb is not something the policy language can ask for; use a layout without pids.
  cg::Layout no_pids = l;
  no_pids.v1_mounts.erase("pids");
  policy::ir::ResourceLimits lim;
  lim.pids = 10;
  try {
    cg::create(no_pids, "never", lim);
    ADD_FAILURE() << "a pids limit without a pids controller was accepted";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'pids' controller"), std::string::npos) << e.what();
  }
}

namespace {

cg::Layout unified_only() {
  auto l = cg::detect();
  if (l.v2_mount.empty()) return l;
  l.mode = cg::Mode::V2;
  l.v1_mounts.clear();
  l.v1_roots.clear();
  return l;
}

}  // namespace

TEST(CgroupV2, RunCgroupInTheUnifiedHierarchyHoldsTheProcessAndIsRemoved) {
  SKIP_UNLESS(needs::root());
  auto l = unified_only();
  if (l.v2_mount.empty()) GTEST_SKIP() << "no cgroup2 mounted on this host";
  std::string id = "v2-" + policy::runtime::random_hex(6);
  auto rc = cg::create(l, id, {});
  ASSERT_TRUE(rc);
  ASSERT_EQ(rc->dirs().size(), 1u);
  std::string dir = rc->dirs()[0];
  EXPECT_NE(dir.find(l.v2_mount), std::string::npos);
  EXPECT_NE(dir.find("/policyrun/" + id), std::string::npos);
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  pid_t child = ::fork();
  if (child == 0) {
    char c;
    ::close(go[1]);
    if (::read(go[0], &c, 1) < 0) {
    }
    ::pause();
    ::_exit(0);
  }
  ::close(go[0]);
  rc->attach(child);
  auto pids = rc->pids();
  EXPECT_EQ(pids, std::vector<pid_t>{child});
  std::ifstream self("/proc/" + std::to_string(child) + "/cgroup");
  std::stringstream ss;
  ss << self.rdbuf();
  EXPECT_NE(ss.str().find("0::"), std::string::npos);
  EXPECT_NE(ss.str().find("/policyrun/" + id), std::string::npos) << ss.str();
  rc->destroy();  // kills what is left in the run's cgroup (our child), removes the directory
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(fs::exists(dir));
  ::close(go[1]);
}

TEST(CgroupV2, LimitWithoutADelegatedControllerFailsClosedNamingTheFile) {
  SKIP_UNLESS(needs::root());
  auto l = unified_only();
  if (l.v2_mount.empty()) GTEST_SKIP() << "no cgroup2 mounted on this host";
  if (l.v2_controllers.count("pids"))
    GTEST_SKIP() << "the pids controller is available in cgroup2 here";
  policy::ir::ResourceLimits lim;
  lim.pids = 10;
  try {
    cg::create(l, "never-v2", lim);
    ADD_FAILURE() << "a pids limit was accepted without a pids controller";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cgroup.subtree_control"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'pids'"), std::string::npos) << e.what();
  }
}

TEST(CgroupDevices, V1DevicesListHoldsExactlyThePolicysRules) {
  SKIP_UNLESS(needs::root());
  auto l = cg::detect();
  if (!l.v1_mounts.count("devices")) GTEST_SKIP() << "no v1 devices controller on this host";
  std::string id = "dev-" + policy::runtime::random_hex(6);
  auto rc = cg::create(l, id, {});  // no devices section: Docker's list
  ASSERT_TRUE(rc);
  std::string dir;
  for (const auto& d : rc->dirs())
    if (d.rfind(l.v1_mounts.at("devices"), 0) == 0) dir = d;
  ASSERT_FALSE(dir.empty());
  std::string list = policy::launch::files::read(dir + "/devices.list");
  EXPECT_EQ(list,
            "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\n"
            "c 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n");
  rc->destroy();
  EXPECT_FALSE(fs::exists(dir));
}

TEST(CgroupDevices, NoControllerAndNoCgroup2FailsClosed) {
  SKIP_UNLESS(needs::root());
  auto l = cg::detect();
  if (l.mode != cg::Mode::Hybrid && l.mode != cg::Mode::V1) GTEST_SKIP() << "v1 host only";
  cg::Layout v1_only = l;
  v1_only.mode = cg::Mode::V1;
  v1_only.v1_mounts.erase("devices");
  v1_only.v2_mount.clear();
  std::string id = "dev-" + policy::runtime::random_hex(6);
  try {
    cg::create(v1_only, id, {});
    ADD_FAILURE() << "a run without any device restriction was accepted";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("neither the cgroup v1 'devices' controller nor a "
                                         "cgroup2 hierarchy"),
              std::string::npos)
        << e.what();
  }
  for (const auto& [ctrl, mount] : v1_only.v1_mounts)
    EXPECT_FALSE(fs::exists(mount + "/policyrun/" + id)) << ctrl;  // nothing left behind
  cg::Layout none;
  try {
    cg::create(none, id, {});
    ADD_FAILURE() << "a host without cgroups ran a container with device rules";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no cgroup file system"), std::string::npos) << e.what();
  }
  policy::ir::ResourceLimits all;
  all.devices.specified = true;
  all.devices.rules = {{policy::ir::DeviceRule::All, -1, -1, 7, {}}};
  EXPECT_EQ(cg::create(none, id, all), nullptr);  // `allow a rwm`: nothing to enforce
}

// --- cgroup v2 limits enforced by the kernel (v2 hosts: the launch uses v2 for limits only when
// no v1 hierarchy holds the controllers; hybrid hosts like this one use v1, tested above)
// ----------
namespace {

// "" when launch() will put limits in cgroup v2 with `controller` there, else why not.
std::string v2_controller(const char* controller) {
  const auto l = cg::detect();
  if (l.mode != cg::Mode::V2)
    return "this host's cgroup layout is " + std::string(cg::mode_name(l.mode)) +
           ": its limits go to cgroup v1 (the controllers are bound to v1 hierarchies), so the v2 "
           "limit files are not used";
  if (!l.v2_controllers.count(controller))
    return "cgroup2 at " + l.v2_mount + " has no '" + controller + "' controller";
  return "";
}

// Prints the run's v2 directory as the container sees it (no cgroup namespace) then runs `script`.
launch_test::Result run_v2(const policy::ir::Policy& p, const std::string& script) {
  auto req = launch_test::busybox_request(
      p, {"/bin/sh", "-c",
          "d=/sys/fs/cgroup$(grep '^0::' /proc/self/cgroup | cut -d: -f3); " + script});
  req.run_id = "v2limits-" + policy::runtime::random_hex(6);
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Off;
  auto r = launch_test::run_request(req);
  for (const auto& d : launch_test::policyrun_cgroup_dirs())
    EXPECT_EQ(d.find(req.run_id), std::string::npos) << d << " left behind";
  return r;
}

}  // namespace

TEST(CgroupV2Limits, MemoryMaxOomKillsTheHogAndIsReported) {
  SKIP_UNLESS(needs::root(), v2_controller("memory"));
  auto p = shared_net_policy();
  p.resources.memory_bytes = 32ull << 20;
  auto r = run_v2(p,
                  "cat $d/memory.max $d/memory.swap.max 2>/dev/null; "
                  "dd if=/dev/zero of=/dev/null bs=128M count=1; echo survived");
  EXPECT_EQ(r.out.rfind(std::to_string(32ull << 20) + "\n", 0), 0u) << r.out << r.err;
  EXPECT_EQ(r.out.find("survived"), std::string::npos) << r.out;  // dd was killed: no 128M
  EXPECT_NE(r.err.find("Killed"), std::string::npos) << r.err;
  EXPECT_NE(r.diag.find("OOM killer"), std::string::npos) << r.diag;
}

TEST(CgroupV2Limits, PidsMaxRefusesForksAndIsReported) {
  SKIP_UNLESS(needs::root(), v2_controller("pids"));
  auto p = shared_net_policy();
  p.resources.pids = 8;
  auto r = run_v2(p,
                  "cat $d/pids.max; i=0; while [ $i -lt 20 ]; do sleep 1 & i=$((i+1)); done; "
                  "exit 0");
  EXPECT_EQ(r.out, "8\n") << r.err;
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.err;
  EXPECT_NE(r.diag.find("hit its pids limit of 8"), std::string::npos) << r.diag;
}

TEST(CgroupV2Limits, CpuMaxThrottlesABusyLoop) {
  SKIP_UNLESS(needs::root(), v2_controller("cpu"));
  auto p = shared_net_policy();
  p.resources.cpu_quota_us = 10000;  // 10% of one CPU
  p.resources.cpu_period_us = 100000;
  // A second of busy loop under a 10 ms per 100 ms quota is throttled about ten times.
  auto r = run_v2(p,
                  "cat $d/cpu.max; (while :; do :; done) & sleep 1; kill $!; "
                  "grep -E '^nr_throttled' $d/cpu.stat");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("10000 100000\nnr_throttled ", 0), 0u) << r.out;
  const auto at = r.out.find("nr_throttled ");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_GT(std::stoul(r.out.substr(at + 13)), 2u) << r.out;
}
