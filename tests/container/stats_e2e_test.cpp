// The seed's walkthrough for stats, update, top and inspect, through the real commands on a
// container that `policyrun run -d` started: its own --root, a busybox image, a policy file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/files.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kPolicy = R"(policy walk {
  syscalls default allow { }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  resources { memory 64M, pids 64 }
  process { no_new_privileges }
}
)";

struct Root {
  std::string dir;
  Root() {
    char tmpl[] = "/tmp/stats-e2e-XXXXXX";
    dir = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~Root() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::string trimmed(const std::string& path) {
  std::string s = policy::launch::files::try_read(path).value_or("");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TEST(StatsWalkthrough, RunDetachedThenStatsUpdateTopInspect) {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  const auto layout = policy::launch::cgroup::detect();
  if (!layout.v1_mounts.count("memory") && !layout.v2_controllers.count("memory"))
    GTEST_SKIP() << "this host has no memory controller (cgroup v1 memory or cgroup2 memory)";
  Root root;
  ASSERT_FALSE(root.dir.empty());
  const std::string pol = root.dir + "/walk.pol";
  std::ofstream(pol) << kPolicy;
  const std::string name = "walk-" + policy::runtime::random_hex(4);
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--root", root.dir});
    return launch_test::run_policyrun(args);
  };
  auto run = cli({"run", "-d", "--name", name, "--apparmor=off", "--policy", pol,
                  launch_test::busybox_layer(), "sleep", "1000"});
  ASSERT_EQ(run.status, 0) << run.err;
  struct Remove {
    std::function<void()> f;
    ~Remove() { f(); }
  } remove{[&] { cli({"rm", "-f", name}); }};

  auto stats = cli({"stats", "--no-stream", "--json", name});
  ASSERT_EQ(stats.status, 0) << stats.err;
  EXPECT_EQ(json::parse(stats.out)[0]["memory"]["limit"].get<uint64_t>(), 64ull << 20) << stats.out;

  auto update = cli({"update", "--memory", "8000000", name});
  ASSERT_EQ(update.status, 0) << update.err;
  EXPECT_NE(update.out.find(" 7999488\n"), std::string::npos) << update.out;
  stats = cli({"stats", "--no-stream", "--json", name});
  EXPECT_EQ(json::parse(stats.out)[0]["memory"]["limit"].get<uint64_t>(), 7999488u) << stats.out;

  auto ins = cli({"inspect", name});
  ASSERT_EQ(ins.status, 0) << ins.err;
  const json j = json::parse(ins.out)[0];
  const pid_t pid = j["State"]["Pid"].get<pid_t>();
  ASSERT_GT(pid, 0) << ins.out;
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "cgroup"})
    EXPECT_FALSE(j["Namespaces"][ns]["host"].get<bool>()) << ns;
  EXPECT_EQ(j["Policy"]["Name"], "walk");
  EXPECT_EQ(j["Policy"]["Sha256"].get<std::string>().size(), 64u) << ins.out;
  std::string host_limit;
  for (const auto& g : j["Cgroups"])
    for (const char* f : {"memory.limit_in_bytes", "memory.max"})
      if (g["limits"].contains(f)) host_limit = trimmed(g["path"].get<std::string>() + "/" + f);
  EXPECT_EQ(host_limit, "7999488");

  auto top = cli({"top", name});
  ASSERT_EQ(top.status, 0) << top.err;
  EXPECT_NE(top.out.find("\n" + std::to_string(pid) + " "), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("sleep 1000"), std::string::npos) << top.out;
}
