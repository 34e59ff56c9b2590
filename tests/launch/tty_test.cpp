// Terminal injection (the CVE-2017-5226 class): policyrun runs from a real pseudo-terminal, as
// from a user's shell, and the container pushes "echo INJECTED\n" into its stdin with TIOCSTI.
// Without -t the container must not share the host's controlling terminal (a session of its
// own), so the kernel refuses the ioctl and nothing reaches the terminal's input. Checked with
// no seccomp rule at all (the kernel's own refusal) and under the shipped docker-default.pol.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "launch/launch_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;

using launch_test::policyrun_binary;

namespace {

// A tiny static program for the image: TIOCSTI every byte of a command into fd 0, then try to
// make fd 0 its controlling terminal; prints what the kernel said.
const char* kInjector = R"(#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
int main(void) {
  const char* cmd = "echo INJECTED\n";
  int pushed = 0, err = 0;
  for (const char* p = cmd; *p; ++p) {
    if (ioctl(0, TIOCSTI, p) == 0) ++pushed; else err = errno;
  }
  printf("tiocsti pushed=%d errno=%s\n", pushed, err ? strerrorname_np(err) : "none");
  int r = ioctl(0, TIOCSCTTY, 0);
  printf("tiocsctty=%s\n", r == 0 ? "ok" : strerrorname_np(errno));
  return 0;
}
)";

// The busybox layer plus /injector, built with the host's C compiler (static).
std::string injector_image() {
  static const std::string dir = []() -> std::string {
    std::string d = launch_test::busybox_copy("tiocsti");
    std::string src = launch_test::scratch() + "/injector.c";
    std::ofstream(src) << kInjector;
    std::string cmd = "cc -static -O1 -o '" + d + "/injector' '" + src + "' 2>/dev/null";
    return std::system(cmd.c_str()) == 0 ? d : "";
  }();
  return dir;
}

struct PtyRun {
  int status = -1;
  std::string output;    // what the container wrote to the terminal
  std::string injected;  // what was waiting in the terminal's input queue afterwards
};

// Runs policyrun with the slave of a new pty as its controlling terminal and stdio (a shell's
// job would have exactly that), the test holding the master, like a terminal emulator.
PtyRun run_on_pty(const std::vector<std::string>& args) {
  PtyRun out;
  int master = -1, slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
    ADD_FAILURE() << "openpty: " << std::strerror(errno);
    return out;
  }
  struct termios t;
  ::tcgetattr(slave, &t);
  ::cfmakeraw(&t);  // injected bytes become readable one by one, and are not echoed
  ::tcsetattr(slave, TCSANOW, &t);
  std::vector<std::string> argv = {policyrun_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    for (int i = 0; i < 3; ++i) ::dup2(slave, i);
    ::close(master);
    ::close(slave);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(s.data());
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  char buf[4096];
  for (;;) {
    struct pollfd pf = {master, POLLIN, 0};
    if (::poll(&pf, 1, 50) > 0) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) out.output.append(buf, static_cast<size_t>(n));
    }
    if (::waitpid(pid, &out.status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &out.status, 0);
      ADD_FAILURE() << "policyrun did not finish in 60 s";
      break;
    }
  }
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;)
    out.output.append(buf, static_cast<size_t>(n));
  // Anything pushed with TIOCSTI sits in the slave's input queue, where the user's shell would
  // read it next.
  ::fcntl(slave, F_SETFL, O_NONBLOCK);
  for (ssize_t n; (n = ::read(slave, buf, sizeof buf)) > 0;)
    out.injected.append(buf, static_cast<size_t>(n));
  ::close(master);
  ::close(slave);
  return out;
}

void expect_no_injection(const std::string& policy_file) {
  std::string image = injector_image();
  if (image.empty()) GTEST_SKIP() << "no C compiler with a static libc (cc -static) on this host";
  auto r = run_on_pty({"--policy", policy_file, "--root", launch_test::scratch() + "/tty-state",
                       "--apparmor=off", image, "/injector"});
  ASSERT_TRUE(WIFEXITED(r.status)) << r.status;
  EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.output;
  EXPECT_NE(r.output.find("tiocsti pushed=0 errno=EPERM"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tiocsctty=EPERM"), std::string::npos) << r.output;
  EXPECT_EQ(r.injected, "") << "the container typed into the host's terminal";
}

}  // namespace

TEST(TerminalInjection, WithoutSeccompTheKernelRefusesTiocsti) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  // Docker's namespaces and capabilities (root, no CAP_SYS_ADMIN), and no seccomp filter.
  std::string pol = launch_test::scratch() + "/tty-noseccomp.pol";
  // (A policy without a syscalls section allows no syscall at all: "default allow" is no filter.)
  std::ofstream(pol) << R"(policy tty {
  syscalls default allow { }
  capabilities keep { CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID,
                      SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  process { no_new_privileges }
}
)";
  expect_no_injection(pol);
}

TEST(TerminalInjection, DockerDefaultPolicyFromATerminal) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  expect_no_injection(std::string(src) + "/policies/docker-default.pol");
}
