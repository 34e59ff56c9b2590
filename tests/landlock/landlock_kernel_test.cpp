// Landlock enforced by this kernel: each test forks a child that restricts itself with
// apply_landlock() and then tries writes, execs, binds; the kernel's answers come back over a pipe.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>

#include "compiler/common/error.hpp"
#include "runtime/launch/landlock.hpp"

namespace policy {
namespace {

using launch::apply_landlock;
using launch::landlock_abi;
using launch::LandlockMode;

// Runs `body` in a forked child with no_new_privs set (as the launch recipe does before
// Landlock); returns what it wrote, or "exception: ..." if it threw.
std::string in_child(const std::function<void(std::ostream&)>& body, bool no_new_privs = true) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::ostringstream out;
    try {
      if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        throw sys_error("PR_SET_NO_NEW_PRIVS");
      body(out);
    } catch (const std::exception& e) {
      out << "exception: " << e.what();
    }
    std::string s = out.str();
    ssize_t ignored = write(fds[1], s.data(), s.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string result;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    result.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return result;
}

// "ok" or the errno name of a failed call.
std::string outcome(int rc) {
  if (rc >= 0) return "ok";
  return strerrorname_np(errno) ? strerrorname_np(errno) : std::to_string(errno);
}

std::string try_open(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, 0644);
  std::string r = outcome(fd);
  if (fd >= 0) close(fd);
  return r;
}

std::string try_bind(uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  std::string r = outcome(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a));
  close(s);
  return r;
}

// Runs `path` and returns "exit N", or the errno name when execve fails.
std::string try_exec(const std::string& path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
    execv(path.c_str(), argv);
    int e = errno;
    ssize_t ignored = write(fds[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  close(fds[1]);
  int e = 0;
  ssize_t n = read(fds[0], &e, sizeof e);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n == sizeof e) return strerrorname_np(e);
  return "exit " + std::to_string(WEXITSTATUS(status));
}

// A loopback TCP port held for the test's lifetime: bound (SO_REUSEADDR, never listening) to a
// port the kernel picked, so no other process can take it between the pick and the test's binds,
// while try_bind's own SO_REUSEADDR binds to it still succeed.
class HeldPort {
 public:
  HeldPort() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port_ = ntohs(a.sin_port);
  }
  ~HeldPort() { close(fd_); }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  uint16_t port() const {
    EXPECT_NE(port_, 0) << "no loopback port could be bound";
    return port_;
  }

 private:
  int fd_;
  uint16_t port_ = 0;
};

class LandlockKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    abi_ = landlock_abi();
    if (abi_ == 0) GTEST_SKIP() << "this kernel has no Landlock (landlock_create_ruleset failed)";
    char tmpl[] = "/tmp/landlock-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    std::filesystem::create_directories(dir_ + "/allowed");
    std::filesystem::create_directories(dir_ + "/readonly");
    std::filesystem::create_directories(dir_ + "/elsewhere");
    std::filesystem::copy_file("/usr/bin/true", dir_ + "/allowed/true");
    std::filesystem::permissions(dir_ + "/allowed/true", std::filesystem::perms::owner_all);
    close(open((dir_ + "/readonly/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    close(open((dir_ + "/elsewhere/file").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // read+exec the system, write only in allowed/, read only in readonly/, bind one port.
  ir::Policy policy(uint16_t port) const {
    ir::Policy p;
    p.name = "landlock-test";
    auto& fs = p.filesystem;
    fs.specified = true;
    for (const char* sys : {"/usr/**", "/lib/**", "/lib64/**", "/bin/**", "/etc/**"})
      fs.rules.push_back({false, ir::kRead | ir::kExec | ir::kMap, sys, "", {}});
    fs.rules.push_back({false, ir::kRead | ir::kWrite, dir_ + "/allowed/**", "", {}});
    fs.rules.push_back({false, ir::kRead, dir_ + "/readonly/**", "", {}});
    p.network.specified = true;
    p.network.ports.push_back({false, ir::PortRule::Bind, "tcp", port, port, {}});
    return p;
  }

  int abi_ = 0;
  std::string dir_;
};

TEST_F(LandlockKernel, WriteOutsideAllowedPathsIsRefused) {
  const HeldPort port;
  ir::Policy p = policy(port.port());
  std::string r = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Require, out);
    out << "allowed-create=" << try_open(dir_ + "/allowed/new", O_CREAT | O_WRONLY)
        << " readonly-write=" << try_open(dir_ + "/readonly/file", O_WRONLY)
        << " readonly-read=" << try_open(dir_ + "/readonly/file", O_RDONLY)
        << " readonly-create=" << try_open(dir_ + "/readonly/new", O_CREAT | O_WRONLY)
        << " elsewhere-read=" << try_open(dir_ + "/elsewhere/file", O_RDONLY)
        << " etc-read=" << try_open("/etc/hostname", O_RDONLY);
  });
  EXPECT_EQ(r,
            "allowed-create=ok readonly-write=EACCES readonly-read=ok readonly-create=EACCES "
            "elsewhere-read=EACCES etc-read=ok");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/allowed/new"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/readonly/new"));
}

TEST_F(LandlockKernel, ExecOfABinaryNotAllowedIsRefused) {
  const HeldPort port;
  ir::Policy p = policy(port.port());
  // without Landlock the copy runs (the test would be meaningless otherwise)
  ASSERT_EQ(try_exec(dir_ + "/allowed/true"), "exit 0");
  std::string r = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Require, out);
    out << "system=" << try_exec("/usr/bin/true") << " copy=" << try_exec(dir_ + "/allowed/true");
  });
  EXPECT_EQ(r, "system=exit 0 copy=EACCES");
}

TEST_F(LandlockKernel, AnExecOnlyRuleIsEnoughToRunTheBinary) {
  ir::Policy p;
  p.name = "exec-only";
  auto& fs = p.filesystem;
  fs.specified = true;
  for (const char* lib : {"/usr/lib/**", "/lib/**", "/lib64/**", "/etc/**"})
    fs.rules.push_back({false, ir::kRead | ir::kMap, lib, "", {}});
  fs.rules.push_back({false, ir::kExec, "/usr/bin/true", "ix", {}});
  std::string r = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Require, out);
    out << "true=" << try_exec("/usr/bin/true") << " false=" << try_exec("/usr/bin/false");
  });
  EXPECT_EQ(r, "true=exit 0 false=EACCES");
}

TEST_F(LandlockKernel, BindToAPortNotAllowedIsRefused) {
  if (abi_ < 4) GTEST_SKIP() << "TCP port rules need Landlock ABI 4; this kernel has " << abi_;
  const HeldPort held_allowed, held_other;  // two held ports are two different ports
  const uint16_t allowed = held_allowed.port(), other = held_other.port();
  ir::Policy p = policy(allowed);
  ASSERT_EQ(try_bind(other), "ok");
  std::string r = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Require, out);
    out << "allowed=" << try_bind(allowed) << " other=" << try_bind(other);
  });
  EXPECT_EQ(r, "allowed=ok other=EACCES");
}

TEST_F(LandlockKernel, DenyOnlyPortRuleRefusesJustThatPort) {
  if (abi_ < 4) GTEST_SKIP() << "TCP port rules need Landlock ABI 4; this kernel has " << abi_;
  const HeldPort held_denied, held_other;
  const uint16_t denied = held_denied.port(), other = held_other.port();
  ir::Policy p;
  p.name = "deny-port";
  p.network.specified = true;
  p.network.ports.push_back({true, ir::PortRule::Bind, "tcp", denied, denied, {}});
  std::string r = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Require, out);
    out << "denied=" << try_bind(denied) << " other=" << try_bind(other)
        << " write=" << try_open(dir_ + "/elsewhere/file", O_WRONLY);
  });
  EXPECT_EQ(r, "denied=EACCES other=ok write=ok");  // no filesystem section: files unrestricted
}

TEST_F(LandlockKernel, OffModeRestrictsNothing) {
  const HeldPort port;
  ir::Policy p = policy(port.port());
  std::string r = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Off, out);
    out << "write=" << try_open(dir_ + "/elsewhere/file", O_WRONLY);
  });
  EXPECT_EQ(r, "write=ok");
}

TEST_F(LandlockKernel, MissingPathBestEffortSkipsRequireFails) {
  const HeldPort port;
  ir::Policy p = policy(port.port());
  p.filesystem.rules.push_back(
      {false, ir::kWrite, dir_ + "/missing/**", "", SourceLoc{"t.pol", 4, 9}});
  std::string best = in_child([&](std::ostream& out) {
    std::ostringstream log;
    apply_landlock(p, LandlockMode::BestEffort, log);
    out << log.str() << "write=" << try_open(dir_ + "/elsewhere/file", O_WRONLY);
  });
  EXPECT_NE(best.find("policyrun: note: Landlock skips t.pol:4:9: `write " + dir_ +
                      "/missing/**`: " + dir_ + "/missing: No such file or directory"),
            std::string::npos)
      << best;
  EXPECT_NE(best.find("write=EACCES"), std::string::npos) << best;  // still restricted
  std::string req = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Require, out);
    out << "applied";
  });
  EXPECT_NE(req.find("exception: Landlock: cannot open t.pol:4:9"), std::string::npos) << req;
  EXPECT_NE(req.find("--landlock=best-effort"), std::string::npos) << req;
}

TEST_F(LandlockKernel, ScopesConfineAbstractSocketsAndSignals) {
  if (abi_ < 6) GTEST_SKIP() << "scoping needs Landlock ABI 6; this kernel has " << abi_;
  // an abstract socket and a process outside the sandbox
  int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string name = "policy-landlock-test-" + std::to_string(getpid());
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(bind(srv, reinterpret_cast<sockaddr*>(&a), len), 0);
  ASSERT_EQ(listen(srv, 4), 0);
  pid_t outsider = fork();
  if (outsider == 0) {
    pause();
    _exit(0);
  }
  ir::Policy p;
  p.name = "scoped";
  p.network.scope_abstract_unix = true;
  p.network.scope_signals = true;
  auto probe = [&](std::ostream& out) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    out << "connect=" << outcome(connect(c, reinterpret_cast<sockaddr*>(&a), len))
        << " kill=" << outcome(kill(outsider, 0));
    close(c);
  };
  std::string before = in_child(probe);
  std::string after = in_child([&](std::ostream& out) {
    apply_landlock(p, LandlockMode::Require, out);
    probe(out);
  });
  kill(outsider, SIGKILL);
  waitpid(outsider, nullptr, 0);
  close(srv);
  EXPECT_EQ(before, "connect=ok kill=ok");
  EXPECT_EQ(after, "connect=EPERM kill=EPERM");
}

TEST_F(LandlockKernel, WithoutNoNewPrivsOrSysAdminTheMessageSaysWhy) {
  const HeldPort port;
  ir::Policy p = policy(port.port());
  std::string r = in_child(
      [&](std::ostream& out) {
        cap_t caps = cap_get_proc();
        cap_value_t admin = CAP_SYS_ADMIN;
        cap_set_flag(caps, CAP_EFFECTIVE, 1, &admin, CAP_CLEAR);
        if (cap_set_proc(caps) != 0) throw sys_error("cap_set_proc");
        cap_free(caps);
        apply_landlock(p, LandlockMode::BestEffort, out);
        out << "applied";
      },
      /*no_new_privs=*/false);
  EXPECT_NE(r.find("exception: landlock_restrict_self: Operation not permitted: no_new_privs is "
                   "not set and the process lacks CAP_SYS_ADMIN"),
            std::string::npos)
      << r;
}

TEST(LandlockAbi, KernelReportsAVersion) {
  int abi = landlock_abi();
  if (abi == 0) GTEST_SKIP() << "this kernel has no Landlock";
  std::printf("Landlock ABI of this kernel: %d\n", abi);
  EXPECT_GE(abi, 1);
}

}  // namespace
}  // namespace policy
