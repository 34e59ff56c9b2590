// The operations walkthrough of issue 13, end to end with the real policyrun and Debian's redis:
// `run -d --name db` under redis.pol; `ps` and `top` show it with host pids; its namespaces are
// not the host's; `exec db redis-cli ping` answers PONG; a second container on db's network
// reaches it at 127.0.0.1; `stats` shows its memory limit; `update --memory 8000000` leaves the
// kernel's 7999488, read on the host and inside; `stop` and `rm` leave nothing behind.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "services/service_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// policyrun COMMAND --root ROOT ARGS... (the container commands all take --root).
launch_test::CliResult policyrun(const std::string& root, const std::string& command,
                                 std::vector<std::string> args) {
  args.insert(args.begin(), {command, "--root", root});
  return launch_test::run_policyrun(args);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The one container of `ps -a --json` named `name` (null when absent).
json ps_entry(const std::string& root, const std::string& name) {
  auto r = policyrun(root, "ps", {"-a", "--json"});
  EXPECT_EQ(r.status, 0) << r.err;
  json list = json::parse(r.out, nullptr, false);
  if (list.is_discarded()) {
    ADD_FAILURE() << "ps --json is not JSON: " << r.out;
    return nullptr;
  }
  for (const auto& c : list)
    if (c.value("name", "") == name) return c;
  return nullptr;
}

std::string ns_link(const std::string& pid, const std::string& ns) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + pid + "/ns/" + ns, ec).string();
}

}  // namespace

TEST(Walkthrough, RedisDetachedInspectedExecutedJoinedUpdatedStoppedRemoved) {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  const std::string& root = services::state_root();
  const std::string name = "db-" + policy::runtime::random_hex(4);
  const std::string policy = services::policy_for("redis.pol");

  // 1. In the background: the id is printed once the command runs.
  std::vector<std::string> run = {"-d", "--name", name, "--policy", policy};
  for (const auto& a : services::run_args("redis")) run.push_back(a);
  auto started = policyrun(root, "run", run);
  ASSERT_EQ(started.status, 0) << started.err;
  EXPECT_EQ(trimmed(started.out), name) << started.err;
  struct Cleanup {
    std::string root, name;
    ~Cleanup() { policyrun(root, "rm", {"-f", name}); }
  } cleanup{root, name};

  // 2. ps: running, with the host pid of its first process; top lists that pid.
  json entry = ps_entry(root, name);
  ASSERT_FALSE(entry.is_null()) << "ps -a does not list " << name;
  EXPECT_EQ(entry.value("status", ""), "running") << entry.dump();
  const std::string pid = std::to_string(entry.value("pid", 0));
  ASSERT_NE(pid, "0") << entry.dump();
  auto top = policyrun(root, "top", {name});
  ASSERT_EQ(top.status, 0) << top.err;
  EXPECT_NE(top.out.find(pid), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("redis-server"), std::string::npos) << top.out;

  // 3. Its namespaces are its own.
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "cgroup"})
    EXPECT_NE(ns_link(pid, ns), ns_link("self", ns)) << ns;

  // 4. exec under the container's policy: redis-cli answers once redis listens.
  std::string pong;
  for (int i = 0; i < 100 && pong != "PONG"; ++i) {
    auto r = policyrun(root, "exec", {name, "redis-cli", "-h", "127.0.0.1", "ping"});
    pong = trimmed(r.out);
    if (pong != "PONG") std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(pong, "PONG");

  // 5. A second container on db's network reaches it at 127.0.0.1.
  std::vector<std::string> client = {"--rm", "--policy", policy, "--network", "container:" + name};
  for (const auto& a : services::run_args("redis")) client.push_back(a);
  // run_args ends with IMAGE (and for redis no command): the client's command follows it.
  for (const char* a : {"redis-cli", "-h", "127.0.0.1", "ping"}) client.push_back(a);
  auto joined = policyrun(root, "run", client);
  EXPECT_EQ(joined.status, 0) << joined.err;
  EXPECT_EQ(trimmed(joined.out), "PONG") << joined.err;

  // 6. stats shows redis.pol's memory limit (512M).
  auto stats = policyrun(root, "stats", {"--no-stream", "--json", name});
  ASSERT_EQ(stats.status, 0) << stats.err;
  json s = json::parse(stats.out, nullptr, false);
  ASSERT_FALSE(s.is_discarded()) << stats.out;
  ASSERT_TRUE(s.is_array() && s.size() == 1) << stats.out;
  EXPECT_EQ(s[0]["memory"].value("limit", uint64_t{0}), 512ull << 20) << stats.out;

  // 7. update: the kernel keeps whole pages; the value read back on the host and inside.
  auto update = policyrun(root, "update", {"--memory", "8000000", name});
  ASSERT_EQ(update.status, 0) << update.err;
  EXPECT_NE(update.out.find("7999488"), std::string::npos) << update.out;
  auto inspect = policyrun(root, "inspect", {name});
  ASSERT_EQ(inspect.status, 0) << inspect.err;
  json info = json::parse(inspect.out, nullptr, false);
  ASSERT_FALSE(info.is_discarded()) << inspect.out;
  // The directory whose limits hold the memory limit file: v1's memory hierarchy, or v2's.
  std::string memory_dir, file;
  for (const auto& c : info[0]["Cgroups"])
    for (const char* f : {"memory.limit_in_bytes", "memory.max"})
      if (c["limits"].contains(f)) {
        memory_dir = c.value("path", "");
        file = f;
      }
  ASSERT_FALSE(memory_dir.empty()) << inspect.out;
  const bool v2 = file == "memory.max";
  EXPECT_EQ(trimmed(launch_test::slurp(memory_dir + "/" + file)), "7999488");
  const std::string inside = "/proc/" + pid + "/root/sys/fs/cgroup/" + (v2 ? "" : "memory/") + file;
  EXPECT_EQ(trimmed(launch_test::slurp(inside)), "7999488") << inside;

  // 8. stop, then rm: no process, cgroup, mount, run state or record is left.
  auto stop = policyrun(root, "stop", {"-t", "5", name});
  EXPECT_EQ(stop.status, 0) << stop.err;
  json stopped = ps_entry(root, name);
  EXPECT_EQ(stopped.value("status", ""), "exited") << stopped.dump();
  auto rm = policyrun(root, "rm", {name});
  EXPECT_EQ(rm.status, 0) << rm.err;
  EXPECT_TRUE(ps_entry(root, name).is_null());
  EXPECT_FALSE(fs::exists("/proc/" + pid)) << "the first process outlived stop";
  EXPECT_TRUE(fs::exists(memory_dir) == false) << memory_dir << " left behind";
  EXPECT_FALSE(fs::exists(root + "/run/" + name));
  EXPECT_FALSE(fs::exists(root + "/containers/" + name));
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning(root + "/run/" + name).empty());
}
