// Issue 13's walkthrough, exec part: `policyrun run -d --name db` of the Debian redis image under
// redis.pol, then `policyrun exec db redis-cli ping` answers PONG, and the exec'd process has the
// posture of the container's first process (redis-server), read from the host.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "container/exec_fixture.hpp"
#include "runtime/container/store.hpp"
#include "services/service_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace {

std::string posture(const std::string& status) {
  std::istringstream in(status);
  std::string out;
  for (std::string line; std::getline(in, line);)
    for (const char* key : {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:",
                            "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"})
      if (line.rfind(key, 0) == 0) out += line + "\n";
  return out;
}

class ExecRedis : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!root_.empty()) launch_test::run_policyrun({"rm", "-f", "--root", root_, "db"});
  }
  launch_test::CliResult pr(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--root", root_});
    return launch_test::run_policyrun(args);
  }
  std::string root_;
};

}  // namespace

TEST_F(ExecRedis, RedisCliPingAnswersPongUnderTheContainersPosture) {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  root_ = launch_test::scratch() + "/exec-redis";
  std::filesystem::create_directories(root_);
  // Exec applies the container's Landlock exec rules: the test's policy extends redis.pol with
  // the programs the test runs (redis-cli, and cat for its probe).
  auto redis_pol = services::policy_for("redis.pol");
  const std::string pol = root_ + "/redis-ops.pol";
  std::ofstream(pol) << "include \"" << redis_pol << "\"\n\n"
                     << "policy redis_ops extends redis {\n"
                     << "  filesystem { exec /usr/bin/redis-cli, /usr/bin/cat }\n}\n";
  std::vector<std::string> run = {"run", "-d", "--name", "db", "--policy", pol};
  for (const auto& a : services::run_args("redis")) run.push_back(a);
  auto r = pr(run);
  ASSERT_EQ(r.status, 0) << r.err;
  std::string out;
  for (int i = 0; i < 100 && out != "PONG\n"; ++i) {
    r = pr({"exec", "db", "redis-cli", "ping"});
    out = r.out;
    if (out != "PONG\n") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(out, "PONG\n") << r.err;
  EXPECT_EQ(r.status, 0);

  const policy::container::State s = policy::container::Store(root_).find("db");
  r = pr({"exec", "db", "cat", "/proc/self/status"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string mine = posture(r.out);
  EXPECT_EQ(mine, posture(exec_test::read_file("/proc/" + std::to_string(s.pid) + "/status")));
  EXPECT_NE(mine.find("CapEff:\t0000000000000000"), std::string::npos) << mine;  // keep none
  EXPECT_EQ(mine.find("Uid:\t0\t"), std::string::npos) << mine;                  // user redis

  // A client that stays (SUBSCRIBE waits for messages): its namespaces, cgroups and label from
  // the host, against redis-server's.
  const pid_t exec = ::fork();
  ASSERT_GE(exec, 0);
  if (exec == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    const std::string bin = launch_test::policyrun_binary();
    ::execl(bin.c_str(), bin.c_str(), "exec", "--root", root_.c_str(), "db", "redis-cli",
            "subscribe", "x", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const std::string init = "/proc/" + std::to_string(s.pid);
  pid_t client = 0;
  for (int i = 0; i < 500 && client == 0; ++i) {
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const std::string exe = exec_test::link_of(e.path().string() + "/exe");
      if (exe == "/usr/bin/redis-cli" &&
          exec_test::link_of(e.path().string() + "/ns/pid") == exec_test::link_of(init + "/ns/pid"))
        client = std::stoi(e.path().filename().string());
    }
    if (client == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(client, 0);
  const std::string other = "/proc/" + std::to_string(client);
  for (const char* ns : {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"})
    EXPECT_EQ(exec_test::link_of(other + "/ns/" + ns), exec_test::link_of(init + "/ns/" + ns))
        << ns;
  EXPECT_EQ(exec_test::read_file(other + "/cgroup"), exec_test::read_file(init + "/cgroup"));
  EXPECT_EQ(exec_test::read_file(other + "/attr/current"),
            exec_test::read_file(init + "/attr/current"));
  EXPECT_EQ(posture(exec_test::read_file(other + "/status")), mine);
  ::kill(exec, SIGTERM);  // forwarded to the client
  int status = 0;
  ::waitpid(exec, &status, 0);
  EXPECT_TRUE(WIFEXITED(status)) << status;
}
