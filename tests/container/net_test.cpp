// Namespaces shared by container name and the private network (docs/networking.md), through the
// real policyrun binary: nginx published on the host's loopback, a container reaching a server
// on the host's loopback through pasta's gateway, the seed's walkthrough (a second container on
// the network of a redis `db`), --pid host and --network none. Only loopback and namespaces the
// tests create are used; every container lives under the test's own --root.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "container/life_fixture.hpp"
#include "runtime/common/host.hpp"
#include "runtime/container/network.hpp"
#include "services/service_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace life_test {
namespace {

namespace fs = std::filesystem;
using policy::container::State;
using policy::container::Status;

bool is_running(const State& s) {
  return s.status == Status::Running;
}

// A TCP port of 127.0.0.1 that nothing listens on now.
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    ADD_FAILURE() << "bind 127.0.0.1:0";
  ::close(fd);
  return ntohs(a.sin_port);
}

bool process_gone(pid_t pid) {
  const char s = proc_state(pid);
  return s == 0 || s == 'Z';
}

class NetTest : public LifeTest {
 protected:
  void SetUp() override {
    LifeTest::SetUp();
    SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()),
                needs::program("/usr/bin/pasta"));
    suffix_ = policy::runtime::random_hex(3);
  }
  // A policy file of the test's own.
  std::string write_policy(const std::string& name, const std::string& text) {
    std::string path = root_ + "-" + name + ".pol";
    std::ofstream(path) << text;
    written_.push_back(path);
    return path;
  }
  void TearDown() override {
    LifeTest::TearDown();
    for (const auto& p : written_) fs::remove(p);
  }
  // The busybox image with the network applets.
  static const std::string& net_image() {
    static const std::string dir = [] {
      std::string d = launch_test::busybox_copy("net-busybox");
      for (const char* applet : {"ip", "wget"}) fs::create_symlink("busybox", d + "/bin/" + applet);
      return d;
    }();
    return dir;
  }
  // Runs `policyrun run --rm OPTIONS IMAGE sh -c SCRIPT` under `policy` in the foreground.
  launch_test::CliResult run_sh(const std::string& policy, std::vector<std::string> options,
                                const std::string& script) {
    std::vector<std::string> a = {"--rm", "--policy", policy, "--apparmor=off"};
    a.insert(a.end(), options.begin(), options.end());
    a.insert(a.end(), {net_image(), "sh", "-c", script});
    return pr("run", a);
  }
  std::string suffix_;
  std::vector<std::string> written_;
};

const char* kOwnNamespaces = R"(policy own {
  syscalls default allow { }
  namespaces { mount, pid, ipc, uts, net }
  process { no_new_privileges }
}
)";

const char* kHostNamespaces = R"(policy shared {
  syscalls default allow { }
  namespaces { mount, pid host, net host }
  process { no_new_privileges }
}
)";

// 1. -p HOSTPORT:80 serves nginx (policies/web.pol) to the host's 127.0.0.1; pasta is recorded
// in the container's state and goes with it.
TEST_F(NetTest, PublishedPortServesNginxToTheHost) {
  SKIP_UNLESS(needs::program("/usr/bin/curl"));
  const uint16_t port = free_port();
  const std::string name = "web-" + suffix_;
  const std::string publish = "127.0.0.1:" + std::to_string(port) + ":80";
  auto r =
      pr("run", {"-d", "--name", name, "-p", publish, "--policy", services::policy_for("web.pol"),
                 "--apparmor=off", services::image("nginx").path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("-p/--publish widens the policy"), std::string::npos) << r.err;
  ASSERT_TRUE(wait_for(name, is_running));
  const State s = state(name);
  EXPECT_EQ(s.network, "private");
  ASSERT_EQ(s.ports.size(), 1u);
  EXPECT_EQ(s.ports[0].host, port);
  EXPECT_EQ(s.ports[0].container, 80);
  EXPECT_EQ(s.ports[0].host_ip, "127.0.0.1");
  ASSERT_GT(s.network_helper_pid, 0);
  EXPECT_EQ(services::comm_of(s.network_helper_pid).rfind("passt", 0), 0u)
      << services::comm_of(s.network_helper_pid);

  std::string code;
  const std::string curl = "curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:" +
                           std::to_string(port) + "/";
  for (int i = 0; i < 100 && code != "200"; ++i) {
    if (i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    code.clear();
    FILE* p = ::popen(curl.c_str(), "r");
    char buf[16] = {};
    if (p && std::fgets(buf, sizeof buf, p)) code = buf;
    if (p) ::pclose(p);
  }
  EXPECT_EQ(code, "200");

  ASSERT_EQ(pr("stop", {name}).status, 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = process_gone(s.network_helper_pid);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "pasta outlived its container";
}

// pasta dies with the supervisor, even when the supervisor is SIGKILLed (PR_SET_PDEATHSIG).
TEST_F(NetTest, PastaDiesWithAKilledSupervisor) {
  const std::string name = "net-" + suffix_;
  const std::string policy = write_policy("own", kOwnNamespaces);
  auto r = pr("run", {"-d", "--name", name, "--network", "private", "--policy", policy,
                      "--apparmor=off", net_image(), "sleep", "100"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(wait_for(name, is_running));
  const State s = state(name);
  ASSERT_GT(s.network_helper_pid, 0);
  ASSERT_GT(s.supervisor_pid, 0);
  EXPECT_FALSE(process_gone(s.network_helper_pid));
  ASSERT_EQ(::kill(s.supervisor_pid, SIGKILL), 0);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = process_gone(s.network_helper_pid);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "pasta outlived the supervisor";
  if (!gone) ::kill(s.network_helper_pid, SIGKILL);
}

// 2. A server on the host's loopback only, reached from a private network through the gateway
// address (pasta maps it to the host); --network none cannot reach it, and the container's own
// 127.0.0.1 is its own (pasta's default, "-T auto", would forward it to the host's ports).
TEST_F(NetTest, ContainerReachesTheHostLoopbackThroughTheGateway) {
  const auto route = policy::container::host_route();
  if (route.gateway.empty()) GTEST_SKIP() << "the host has no default IPv4 route for pasta";
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  const std::string port = std::to_string(ntohs(a.sin_port));
  std::atomic<bool> done{false};
  // A tiny HTTP server: wget in the container reads the body's length and exits (busybox
  // 1.35's wget -T crashes, so there is no timeout: an unreachable address fails at once).
  std::thread server([&] {
    while (!done) {
      int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) break;
      char request[1024];
      [[maybe_unused]] auto got = ::read(c, request, sizeof request);
      const std::string body = "hello from the host's loopback\n";
      const std::string reply =
          "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      [[maybe_unused]] auto n = ::write(c, reply.data(), reply.size());
      ::close(c);
    }
  });
  const std::string policy = write_policy("own", kOwnNamespaces);
  const std::string script = "wget -q -O- http://" + route.gateway + ":" + port + "/";
  auto r = run_sh(policy, {"--network", "private"}, script);
  auto none = run_sh(policy, {"--network", "none"}, script);
  auto own_loopback =
      run_sh(policy, {"--network", "private"}, "wget -q -O- http://127.0.0.1:" + port + "/");
  done = true;
  ::shutdown(listener, SHUT_RDWR);
  server.join();
  ::close(listener);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from the host's loopback\n") << r.err;
  EXPECT_NE(none.status, 0);
  EXPECT_EQ(none.out, "");
  EXPECT_NE(own_loopback.status, 0);
  EXPECT_EQ(own_loopback.out, "") << "the container's 127.0.0.1 reached the host's loopback";
}

// 3. The seed's walkthrough: a redis `db`, and a second container on its network (by the
// policy's `net container NAME` and by --network container:NAME) that reaches it at 127.0.0.1.
TEST_F(NetTest, SecondContainerReachesRedisOnTheNetworkOfDb) {
  const std::string db = "db-" + suffix_;
  const std::string redis_image = services::image("redis").path;
  auto r = pr("run", {"-d", "--name", db, "--policy", services::policy_for("redis.pol"),
                      "--apparmor=off", redis_image});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(wait_for(db, is_running));
  const std::string client = write_policy("client", R"(policy client {
  syscalls default allow { }
  namespaces { mount, pid, ipc, uts, net container )" + db +
                                                        R"( }
  process { no_new_privileges }
}
)");
  auto ping = [&](std::vector<std::string> options, const std::string& policy) {
    std::vector<std::string> a = {"--rm", "--policy", policy, "--apparmor=off"};
    a.insert(a.end(), options.begin(), options.end());
    a.insert(a.end(), {redis_image, "sh", "-c",
                       "redis-cli -h 127.0.0.1 ping; grep -w " + db + " /etc/hosts"});
    launch_test::CliResult out;
    for (int i = 0; i < 100; ++i) {  // redis may still be starting
      out = pr("run", a);
      if (out.out.rfind("PONG", 0) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return out;
  };
  auto by_policy = ping({}, client);
  EXPECT_EQ(by_policy.status, 0) << by_policy.err;
  EXPECT_EQ(by_policy.out, "PONG\n127.0.0.1\t" + db + "\n") << by_policy.err;
  auto by_flag = ping({"--network", "container:" + db}, write_policy("own", kOwnNamespaces));
  EXPECT_EQ(by_flag.out, "PONG\n127.0.0.1\t" + db + "\n") << by_flag.err;
  EXPECT_NE(by_flag.err.find("--network container:" + db + " widens the policy"), std::string::npos)
      << by_flag.err;

  // A stopped container, then a missing one: a clear error, exit 125, nothing left behind.
  ASSERT_EQ(pr("stop", {db}).status, 0);
  const size_t before = policy::container::Store(root_).list().size();
  auto stopped = run_sh(client, {}, "true");
  EXPECT_EQ(stopped.status, 125);
  EXPECT_NE(stopped.err.find("net container " + db), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("the container is not running (exited)"), std::string::npos)
      << stopped.err;
  ASSERT_EQ(pr("rm", {db}).status, 0);
  auto missing =
      run_sh(write_policy("own", kOwnNamespaces), {"--network", "container:" + db}, "true");
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("net container " + db + ": no such container"), std::string::npos)
      << missing.err;
  EXPECT_EQ(policy::container::Store(root_).list().size(), before - 1);
  std::error_code ec;
  EXPECT_TRUE(fs::is_empty(root_ + "/run", ec) || !fs::exists(root_ + "/run"))
      << "a failed join left run state";
}

// 4. `pid host` (policy) and --pid host see the host's pids; --network none has only lo.
TEST_F(NetTest, PidHostSeesHostPidsAndNetworkNoneHasOnlyLoopback) {
  const std::string own = write_policy("own", kOwnNamespaces);
  const std::string shared = write_policy("shared", kHostNamespaces);
  const std::string mine = "test -d /proc/" + std::to_string(::getpid()) + " && echo host-pids";
  EXPECT_EQ(run_sh(own, {}, mine).out, "");
  EXPECT_EQ(run_sh(shared, {}, mine).out, "host-pids\n");
  auto flag = run_sh(own, {"--pid", "host"}, mine);
  EXPECT_EQ(flag.out, "host-pids\n") << flag.err;
  EXPECT_NE(flag.err.find("--pid host widens the policy"), std::string::npos) << flag.err;

  const std::string links = "ip -o link | cut -d: -f2 | tr -d ' ' | sort | tr '\\n' ' '";
  auto host = run_sh(shared, {}, links);
  EXPECT_NE(host.out, "lo ") << "the host has only loopback: the test shows nothing";
  auto none = run_sh(shared, {"--network", "none"}, links);
  EXPECT_EQ(none.status, 0) << none.err;
  EXPECT_EQ(none.out, "lo ");
}

}  // namespace
}  // namespace life_test
