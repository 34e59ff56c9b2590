// policyrun stats, update, top and inspect on real containers (tests/container/stats_fixture.hpp),
// each with a --root of its own; the library parts (units, Docker's arithmetic) first.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "container/stats_fixture.hpp"
#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "runtime/container/stats.hpp"
#include "runtime/container/stats_top.hpp"
#include "runtime/container/update.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/files.hpp"
#include "support/kernel_skip.hpp"

namespace cg = policy::launch::cgroup;
namespace st = policy::container::stats;
namespace up = policy::container::update;
using nlohmann::json;
using stats_test::RunningContainer;

namespace {

std::string unique(const std::string& prefix) {
  return prefix + "-" + policy::runtime::random_hex(4);
}

std::string trimmed(const std::string& path) {
  std::string s = policy::launch::files::try_read(path).value_or("");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

uint64_t page_rounded(uint64_t bytes) {
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return bytes / page * page;
}

// The memory hierarchy these tests write limits in: v1's memory controller, or cgroup2's.
std::string memory_controller_missing() {
  const auto l = cg::detect();
  if (l.v1_mounts.count("memory") || l.v2_controllers.count("memory")) return "";
  return "this host has no memory controller (cgroup v1 memory or cgroup2 memory)";
}

std::string policyrun_missing() {
  return needs::program(launch_test::policyrun_binary());
}

}  // namespace

TEST(StatsUnits, DockerSizesAndBytes) {
  EXPECT_EQ(st::binary_size(0), "0B");
  EXPECT_EQ(st::binary_size(7999488), "7.629MiB");
  EXPECT_EQ(st::binary_size(64ull << 20), "64MiB");
  EXPECT_EQ(st::decimal_size(1500), "1.5kB");
  EXPECT_EQ(st::decimal_size(2000000), "2MB");
  EXPECT_EQ(up::parse_bytes("8000000", "--memory"), 8000000);
  EXPECT_EQ(up::parse_bytes("64m", "--memory"), 64ll << 20);
  EXPECT_EQ(up::parse_bytes("1g", "--memory"), 1ll << 30);
  EXPECT_EQ(up::parse_bytes("1.5GiB", "--memory"), 3ll << 29);
  EXPECT_EQ(up::parse_bytes("512kb", "--memory"), 512ll << 10);
  EXPECT_EQ(up::parse_bytes("-1", "--memory"), -1);
  for (const char* bad : {"", "m", "12x", "-2", "1gg", "ten"})
    EXPECT_THROW(up::parse_bytes(bad, "--memory"), policy::Error) << bad;
  try {
    up::parse_bytes("12x", "--memory-swap");
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--memory-swap: '12x' is not a size"), std::string::npos)
        << e.what();
  }
}

TEST(StatsUnits, CpuPercentIsDockers) {
  st::Sample a, b;
  a.has_cpu = b.has_cpu = true;
  a.cpu_ns = 1000;
  b.cpu_ns = 1000 + 500000000;  // half a second of CPU
  a.system_cpu_ns = 0;
  b.system_cpu_ns = 2000000000;  // while the host's 2 CPUs ran 2 s in all
  b.online_cpus = 2;
  EXPECT_DOUBLE_EQ(st::cpu_percent(a, b), 50.0);
  b.has_cpu = false;
  EXPECT_EQ(st::cpu_percent(a, b), 0);
}

TEST(StatsCli, NoStreamJsonShowsThePolicysMemoryLimitPageRounded) {
  SKIP_UNLESS(needs::root(), memory_controller_missing(), policyrun_missing());
  auto p = launch_test::docker_like_policy();
  p.resources.memory_bytes = 100000000;  // not a multiple of the page size
  p.resources.pids = 64;
  RunningContainer c(p, "while :; do :; done", unique("stats"));
  auto r = stats_test::policyrun(c, {"stats", "--no-stream", "--json", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  const json rows = json::parse(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  const json& row = rows[0];
  EXPECT_EQ(row["name"], c.name());
  EXPECT_EQ(row["memory"]["limit"].get<uint64_t>(), page_rounded(100000000)) << r.out;
  EXPECT_TRUE(row["memory"]["limited"].get<bool>());
  EXPECT_GT(row["memory"]["usage"].get<uint64_t>(), 0u);
  EXPECT_EQ(row["pids"]["limit"].get<uint64_t>(), 64u);
  EXPECT_GE(row["pids"]["current"].get<uint64_t>(), 1u);
  // The busy loop's CPU time is the container's own (its own cpuacct / cpu.stat), not the
  // host's: well above zero, and at most all of the host's CPUs.
  EXPECT_GT(row["cpu_percent"].get<double>(), 5.0) << r.out;
  EXPECT_LE(row["cpu_percent"].get<double>(), 100.0 * ::sysconf(_SC_NPROCESSORS_ONLN) + 1);
  EXPECT_FALSE(row["net"]["host_network"].get<bool>());

  auto table = stats_test::policyrun(c, {"stats", "--no-stream", c.name()});
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_EQ(table.out.rfind("CONTAINER ID   NAME", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("MEM USAGE / LIMIT"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(" / " + st::binary_size(page_rounded(100000000))), std::string::npos)
      << table.out;
}

TEST(StatsCli, AnIdleContainerUsesAlmostNoCpu) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  RunningContainer c(launch_test::docker_like_policy(), "sleep 1000", unique("idle"));
  auto r = stats_test::policyrun(c, {"stats", "--no-stream", "--json", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  const json rows = json::parse(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  // Its own CPU time (not its parent's hierarchy's): less than a second in all.
  EXPECT_LT(rows[0]["cpu_ns"].get<uint64_t>(), 1000000000u) << r.out;
  EXPECT_LT(rows[0]["cpu_percent"].get<double>(), 5.0) << r.out;
}

TEST(StatsCli, BlockWritesAreTheContainersOwn) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  const auto l = cg::detect();
  if (!l.v1_mounts.count("blkio") && !l.v2_controllers.count("io"))
    GTEST_SKIP() << "this host has no block I/O controller (cgroup v1 blkio or cgroup2 io)";
  // 8 MiB written past the page cache (O_DIRECT, else synced) to the container's writable
  // layer, which is on a disk of the host.
  RunningContainer c(launch_test::docker_like_policy(),
                     "dd if=/dev/zero of=/blk bs=1M count=8 oflag=direct 2>/dev/null || "
                     "dd if=/dev/zero of=/blk bs=1M count=8 conv=fsync 2>/dev/null; "
                     "echo written > /tmp/written; sleep 1000",
                     unique("blk"));
  ASSERT_EQ(c.wait_for_file("/tmp/written"), "written\n");
  // Linux counts v1 blkio.throttle bytes only on a device where some cgroup has a throttling
  // rule (blk_should_throtl); the hierarchy's root then shows more than "Total 0".
  const std::string v1_root = l.v1_mounts.count("blkio")
                                  ? l.v1_mounts.at("blkio") + "/blkio.throttle.io_service_bytes"
                                  : "";
  if (!v1_root.empty() &&
      policy::launch::files::try_read(v1_root).value_or("").rfind("Total 0", 0) == 0)
    GTEST_SKIP() << "this kernel keeps no cgroup v1 block I/O counters here: " << v1_root
                 << " says Total 0 after the container wrote 8 MiB (no device has a "
                    "blkio.throttle rule, so the kernel does not count)";
  auto r = stats_test::policyrun(c, {"stats", "--no-stream", "--json", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  const json rows = json::parse(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_GE(rows[0]["block"]["write"].get<uint64_t>(), 8ull << 20) << r.out;
}

TEST(StatsCli, StreamsEverySecondUntilInterrupted) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  RunningContainer c(launch_test::docker_like_policy(), "sleep 1000", unique("stream"));
  const std::string out = c.root() + "/stream.out";
  const std::string cmd = "timeout --preserve-status -s INT 3.5 " +
                          launch_test::shell_quote(launch_test::policyrun_binary()) +
                          " stats --json --root " + launch_test::shell_quote(c.root()) + " " +
                          c.name() + " >" + out + " 2>&1 </dev/null";
  const int rc = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << rc << launch_test::slurp(out);
  std::istringstream lines(launch_test::slurp(out));
  int samples = 0;
  for (std::string line; std::getline(lines, line); ++samples) {
    const json rows = json::parse(line);
    ASSERT_EQ(rows.size(), 1u) << line;
    EXPECT_EQ(rows[0]["name"], c.name());
  }
  EXPECT_GE(samples, 2);
  EXPECT_LE(samples, 4);
}

TEST(StatsCli, HostNetworkIsNotCountedAndV2CpuTimeIsRead) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  // No network namespace: the traffic of /proc/PID/net/dev is the host's, not the container's.
  RunningContainer c(stats_test::host_sys_policy(), "while :; do :; done", unique("hostnet"));
  usleep(300000);
  const st::Sample s = st::sample(c.state().cgroup_dirs, c.state().pid);
  EXPECT_TRUE(s.has_net);
  EXPECT_TRUE(s.net_shared);
  EXPECT_EQ(s.net_rx + s.net_tx, 0u);
  // The unified hierarchy's directory alone (a v2 host's only one): cpu.stat usage_usec.
  const std::string v2 = cg::detect().v2_mount;
  std::vector<std::string> unified;
  for (const auto& d : c.state().cgroup_dirs)
    if (!v2.empty() && d.rfind(v2 + "/", 0) == 0) unified.push_back(d);
  if (unified.empty()) GTEST_SKIP() << "no cgroup2 directory for the run on this host";
  const st::Sample u = st::sample(unified, c.state().pid);
  EXPECT_TRUE(u.has_cpu);
  EXPECT_GT(u.cpu_ns, 100000000u);  // a busy loop for 0.3 s: more than 0.1 s of CPU
}

TEST(StatsCli, UnknownContainerIsAnError) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  RunningContainer c(launch_test::docker_like_policy(), "sleep 1000", unique("known"));
  auto r = stats_test::policyrun(c, {"stats", "--no-stream", "nosuchcontainer"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("nosuchcontainer"), std::string::npos) << r.err;
}

TEST(UpdateCli, MemoryIsPageRoundedOnTheHostAndInside) {
  SKIP_UNLESS(needs::root(), memory_controller_missing(), policyrun_missing());
  auto p = stats_test::host_sys_policy();
  p.resources.memory_bytes = 64ull << 20;
  const bool v1 = cg::detect().v1_mounts.count("memory") > 0;
  const std::string file = v1 ? "memory.limit_in_bytes" : "memory.max";
  // The container reads its own limit, through /proc/self/cgroup, every 50 ms.
  const std::string script =
      v1 ? "m=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3); "
           "f=/sys/fs/cgroup/memory$m/memory.limit_in_bytes; "
         : "m=$(grep '^0::' /proc/self/cgroup | cut -d: -f3); f=/sys/fs/cgroup$m/memory.max; ";
  RunningContainer c(p,
                     script +
                         "while :; do cat $f > /tmp/l.new; mv /tmp/l.new /tmp/limit; "
                         "sleep 0.05; done",
                     unique("upd"));
  ASSERT_EQ(c.wait_for_file("/tmp/limit"), std::to_string(64ull << 20) + "\n");

  auto r = stats_test::policyrun(c, {"update", "--memory", "8000000", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string kept = std::to_string(page_rounded(8000000));
  EXPECT_EQ(kept, "7999488");  // on 4 KiB pages, the seed's figure
  const std::string host_file = c.cgroup_file(file);
  EXPECT_NE(r.out.find(host_file + " " + kept + "\n"), std::string::npos) << r.out;
  EXPECT_EQ(trimmed(host_file), kept);
  if (v1 && !c.cgroup_file("memory.memsw.limit_in_bytes").empty()) {
    EXPECT_EQ(trimmed(c.cgroup_file("memory.memsw.limit_in_bytes")), kept);  // still no swap
  }
  std::string inside;
  for (int i = 0; i < 200 && inside != kept + "\n"; ++i) {
    usleep(20000);
    inside = policy::launch::files::try_read(c.inside("/tmp/limit")).value_or("");
  }
  EXPECT_EQ(inside, kept + "\n");

  // Raised again past the old limit (v1: memsw first), and inspect and stats agree.
  r = stats_test::policyrun(c, {"update", "-m", "128m", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(trimmed(host_file), std::to_string(128ull << 20));
  auto ins = stats_test::policyrun(c, {"inspect", c.name()});
  ASSERT_EQ(ins.status, 0) << ins.err;
  const json inspected = json::parse(ins.out);
  bool seen = false;
  for (const auto& g : inspected[0]["Cgroups"])
    if (g["limits"].contains(file)) {
      EXPECT_EQ(g["limits"][file], std::to_string(128ull << 20));
      seen = true;
    }
  EXPECT_TRUE(seen) << ins.out;
  EXPECT_EQ(json::parse(ins.out)[0]["Labels"]["update:" + file], std::to_string(128ull << 20));
}

TEST(UpdateCli, LoweringBelowUsageFailsAndChangesNothing) {
  SKIP_UNLESS(needs::root(), memory_controller_missing(), policyrun_missing());
  auto p = launch_test::docker_like_policy();
  p.resources.memory_bytes = 64ull << 20;
  // dd holds a 32 MiB buffer it filled, blocked writing it into a pipe nobody reads.
  RunningContainer c(p, "dd if=/dev/zero bs=32M count=1 | sleep 1000", unique("low"));
  const std::string limit = c.cgroup_file("memory.limit_in_bytes").empty()
                                ? c.cgroup_file("memory.max")
                                : c.cgroup_file("memory.limit_in_bytes");
  // Wait for the buffer to be filled.
  for (int i = 0; i < 200; ++i) {
    st::Sample s = st::sample(c.state().cgroup_dirs, c.state().pid);
    if (s.memory_usage > (30ull << 20)) break;
    usleep(20000);
  }
  auto r = stats_test::policyrun(c, {"update", "--memory", "8m", c.name()});
  EXPECT_EQ(r.status, 125) << r.out;
  EXPECT_NE(r.err.find(limit), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was changed"), std::string::npos) << r.err;
  EXPECT_EQ(trimmed(limit), std::to_string(64ull << 20));
  const std::string memsw = c.cgroup_file("memory.memsw.limit_in_bytes");
  if (!memsw.empty()) {
    EXPECT_EQ(trimmed(memsw), std::to_string(64ull << 20));
  }
}

TEST(UpdateCli, ALaterFailureRestoresWhatWasWritten) {
  SKIP_UNLESS(needs::root(), memory_controller_missing(), policyrun_missing());
  auto p = launch_test::docker_like_policy();
  p.resources.memory_bytes = 64ull << 20;
  RunningContainer c(p, "sleep 1000", unique("undo"));
  const std::string limit = c.cgroup_file("memory.limit_in_bytes").empty()
                                ? c.cgroup_file("memory.max")
                                : c.cgroup_file("memory.limit_in_bytes");
  // The memory limit is written first and succeeds; a quota of a billion CPUs is more than the
  // kernel takes (its largest quota is 2^44 us per period): the memory limit goes back.
  auto r =
      stats_test::policyrun(c, {"update", "--memory", "128m", "--cpus", "1000000000", c.name()});
  EXPECT_EQ(r.status, 125) << r.out;
  EXPECT_NE(r.err.find("cpu"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("restored"), std::string::npos) << r.err;
  EXPECT_EQ(trimmed(limit), std::to_string(64ull << 20));
  const std::string memsw = c.cgroup_file("memory.memsw.limit_in_bytes");
  if (!memsw.empty()) {
    EXPECT_EQ(trimmed(memsw), std::to_string(64ull << 20));
  }
  const std::string period = c.cgroup_file("cpu.cfs_period_us");
  if (!period.empty()) {
    EXPECT_EQ(trimmed(period), "100000");
  }
}

TEST(UpdateCli, CpusAndSharesAreWrittenAsTheKernelSpellsThem) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  RunningContainer c(launch_test::docker_like_policy(), "sleep 1000", unique("cpu"));
  auto r = stats_test::policyrun(c, {"update", "--cpus", "0.5", "--cpu-shares", "512", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  if (const std::string quota = c.cgroup_file("cpu.cfs_quota_us"); !quota.empty()) {
    EXPECT_EQ(trimmed(quota), "50000");
    EXPECT_EQ(trimmed(c.cgroup_file("cpu.cfs_period_us")), "100000");
    EXPECT_EQ(trimmed(c.cgroup_file("cpu.shares")), "512");
  } else {
    EXPECT_EQ(trimmed(c.cgroup_file("cpu.max")), "50000 100000");
    EXPECT_EQ(trimmed(c.cgroup_file("cpu.weight")), std::to_string(cg::shares_to_weight(512)));
  }
  // 0: no quota again.
  r = stats_test::policyrun(c, {"update", "--cpus", "0", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  if (const std::string quota = c.cgroup_file("cpu.cfs_quota_us"); !quota.empty()) {
    EXPECT_EQ(trimmed(quota), "-1");
  } else {
    EXPECT_EQ(trimmed(c.cgroup_file("cpu.max")), "max 100000");
  }
}

TEST(UpdateCli, PidsLimitThenAForkBombInsideHitsIt) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  const auto l = cg::detect();
  if (!l.v1_mounts.count("pids") && !l.v2_controllers.count("pids"))
    GTEST_SKIP() << "this host has no pids controller (cgroup v1 pids or cgroup2 pids)";
  auto p = launch_test::docker_like_policy();
  p.resources.pids = 64;  // the bomb stays inside a limit whatever happens
  p.resources.memory_bytes = 128ull << 20;
  RunningContainer c(p,
                     // A shell that cannot fork exits: the bomb runs in a subshell, and the
                     // init execs its last sleep (no fork left for it).
                     "while [ ! -e /tmp/go ]; do sleep 0.05; done; "
                     "(i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); done) 2>/tmp/err; "
                     "echo done > /tmp/done; exec sleep 1000",
                     unique("pids"));
  auto r = stats_test::policyrun(c, {"update", "--pids-limit", "8", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string max = c.cgroup_file("pids.max");
  EXPECT_EQ(trimmed(max), "8");
  EXPECT_NE(r.out.find(max + " 8\n"), std::string::npos) << r.out;
  ASSERT_TRUE(std::ofstream(c.inside("/tmp/go")).good())
      << "cannot create /tmp/go in the container";
  ASSERT_EQ(c.wait_for_file("/tmp/done", 20000), "done\n");
  EXPECT_NE(policy::launch::files::try_read(c.inside("/tmp/err")).value_or("").find("fork"),
            std::string::npos);
  EXPECT_GT(cg::read_key(c.cgroup_file("pids.events"), "max"), 0u);
  auto s = st::sample(c.state().cgroup_dirs, c.state().pid);
  EXPECT_LE(s.pids, 8u);
}

TEST(UpdateCli, NoControllerOrNotRunningIsAClearError) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  RunningContainer c(launch_test::docker_like_policy(), "sleep 1000", unique("err"));
  auto r = stats_test::policyrun(c, {"update", c.name()});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("say what to change"), std::string::npos) << r.err;
  r = stats_test::policyrun(c, {"update", "--memory", "12x", c.name()});
  EXPECT_NE(r.err.find("--memory: '12x' is not a size"), std::string::npos) << r.err;
  // A limit the container's cgroups cannot take names what is missing.
  up::Limits lim;
  lim.pids = 5;
  try {
    up::apply({}, lim);
    ADD_FAILURE() << "a pids limit without any cgroup was accepted";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--pids-limit needs the pids controller"),
              std::string::npos)
        << e.what();
  }
}

TEST(TopCli, ListsTheInitsHostPid) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  RunningContainer c(launch_test::docker_like_policy(), "sleep 1000 & sleep 1001; wait",
                     unique("top"));
  const pid_t init = c.state().pid;
  // Both children have started once they show in the cgroup.
  std::vector<st::Process> procs;
  for (int i = 0; i < 200 && procs.size() < 3; ++i, usleep(20000)) procs = st::processes(c.state());
  auto r = stats_test::policyrun(c, {"top", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("PID", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\n" + std::to_string(init) + " "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sleep 1000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sleep 1001"), std::string::npos) << r.out;
  auto j = stats_test::policyrun(c, {"top", "--json", c.name()});
  ASSERT_EQ(j.status, 0) << j.err;
  const json rows = json::parse(j.out);
  ASSERT_EQ(rows.size(), 3u) << j.out;
  EXPECT_EQ(rows[0]["pid"].get<pid_t>(), init);
  EXPECT_EQ(rows[0]["user"], "root");
  for (size_t i = 1; i < 3; ++i) EXPECT_EQ(rows[i]["ppid"].get<pid_t>(), init) << j.out;
}

TEST(TopCli, AContainersCommandLineCannotDriveTheTerminal) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  // An escape sequence (clear screen) and a newline that would forge a row of its own.
  RunningContainer c(launch_test::docker_like_policy(),
                     "sleep 1000; : 'x\033[2J\n1 0 root 00:00:00 forged'",
                     unique("topesc"));
  std::string out;
  for (int i = 0; i < 200 && out.find("forged") == std::string::npos; ++i, usleep(20000))
    out = stats_test::policyrun(c, {"top", c.name()}).out;
  EXPECT_NE(out.find("x?[2J?1 0 root 00:00:00 forged"), std::string::npos) << out;
  EXPECT_EQ(out.find('\033'), std::string::npos) << out;
  EXPECT_EQ(out.find("\n1 0 root"), std::string::npos) << out;
}

TEST(InspectCli, NamespacesDifferFromTheHostsAndTheConfinementIsShown) {
  SKIP_UNLESS(needs::root(), policyrun_missing());
  auto p = launch_test::docker_like_policy();
  p.resources.memory_bytes = 64ull << 20;
  RunningContainer c(p, "sleep 1000", unique("insp"),
                     launch_test::seccomp_deny({"mkdirat"}, EPERM));
  auto r = stats_test::policyrun(c, {"inspect", c.name()});
  ASSERT_EQ(r.status, 0) << r.err;
  const json all = json::parse(r.out);
  ASSERT_EQ(all.size(), 1u);
  const json& j = all[0];
  EXPECT_EQ(j["Name"], c.name());
  EXPECT_EQ(j["State"]["Status"], "running");
  EXPECT_EQ(j["State"]["Pid"].get<pid_t>(), c.state().pid);
  for (const char* ns : {"mnt", "pid", "ipc", "uts", "net", "cgroup"}) {
    ASSERT_TRUE(j["Namespaces"].contains(ns)) << ns << r.out;
    EXPECT_FALSE(j["Namespaces"][ns]["host"].get<bool>()) << ns;
    struct stat st {};
    ASSERT_EQ(::stat((std::string("/proc/self/ns/") + ns).c_str(), &st), 0);
    EXPECT_NE(j["Namespaces"][ns]["inode"].get<uint64_t>(), st.st_ino) << ns;
  }
  EXPECT_TRUE(j["Namespaces"]["user"]["host"].get<bool>());  // the policy has no user namespace
  // Docker's 14 capabilities, in every set but ambient and inheritable; the bounding set too.
  const auto eff = j["Capabilities"]["CapEff"]["names"].get<std::vector<std::string>>();
  EXPECT_EQ(eff.size(), 14u) << r.out;
  EXPECT_NE(std::find(eff.begin(), eff.end(), "CAP_CHOWN"), eff.end());
  EXPECT_EQ(std::find(eff.begin(), eff.end(), "CAP_SYS_ADMIN"), eff.end());
  EXPECT_EQ(j["Capabilities"]["CapBnd"]["hex"], j["Capabilities"]["CapEff"]["hex"]);
  EXPECT_TRUE(j["Capabilities"]["CapAmb"]["names"].empty());
  EXPECT_TRUE(j["NoNewPrivs"].get<bool>());
  EXPECT_EQ(j["Seccomp"], "filter");
  if (!j["SeccompFilters"].is_null()) {
    EXPECT_GE(j["SeccompFilters"].get<int>(), 1);
  }
  bool limit = false;
  for (const auto& g : j["Cgroups"])
    for (const char* f : {"memory.limit_in_bytes", "memory.max"})
      if (g["limits"].contains(f)) limit = g["limits"][f] == std::to_string(64ull << 20);
  EXPECT_TRUE(limit) << j["Cgroups"].dump();
  EXPECT_EQ(j["Config"]["Cmd"][0], "/bin/sh");

  auto missing = stats_test::policyrun(c, {"inspect", c.name(), "nosuch"});
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("nosuch"), std::string::npos) << missing.err;
}
