// policyrun says why a container died: a seccomp kill names the syscall (from the kernel's audit
// record in /dev/kmsg) and the rule of the policy that killed it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "compiler/common/names.hpp"
#include "launch/launch_fixture.hpp"
#include "runtime/launch/exit_report.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
using policy::launch::exit_report::describe_kill;
using policy::launch::exit_report::parse_record;

using launch_test::CliResult;
using launch_test::policyrun_binary;

namespace {

CliResult policyrun(const std::vector<std::string>& args) {
  return launch_test::run_policyrun(args);
}

// Does this host put seccomp kill records into the kernel log? A child kills itself with a
// seccomp filter, and /dev/kmsg is read for its record. "" when it does, else why not.
std::string kernel_logs_seccomp_kills() {
  const int fd = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::string("/dev/kmsg is not readable: ") + strerror(errno);
  ::lseek(fd, 0, SEEK_END);
  const pid_t pid = ::fork();
  if (pid == 0) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(getppid), 0);
    if (seccomp_load(ctx) != 0) ::_exit(1);
    ::syscall(SYS_getppid);
    ::_exit(2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string why =
      "no type=1326 record for a process killed by seccomp appeared in /dev/kmsg "
      "(is kill_process missing from /proc/sys/kernel/seccomp/actions_logged?)";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  char buf[8192];
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    if (n < 0 && errno == EAGAIN) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (n <= 0) continue;
    const std::string rec(buf, static_cast<size_t>(n));
    const auto r = parse_record(rec.substr(rec.find(';') + 1));
    if (r && r->pid == pid) {
      why.clear();
      break;
    }
  }
  ::close(fd);
  return why;
}

}  // namespace

TEST(ExitReport, ParsesTheKernelsSeccompRecord) {
  const auto r = parse_record(
      "audit: type=1326 audit(1796168198.158:2): auid=4294967295 uid=0 gid=0 ses=4294967295 "
      "pid=15673 comm=\"sk\" exe=\"/tmp/sk\" sig=31 arch=c000003e syscall=110 compat=0 "
      "ip=0x7fe908fe74f7 code=0x80000000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pid, 15673);
  EXPECT_EQ(r->sig, 31);
  EXPECT_EQ(r->arch, AUDIT_ARCH_X86_64);
  EXPECT_EQ(r->syscall, 110);
  EXPECT_EQ(r->code, SECCOMP_RET_KILL_PROCESS);
  // A /dev/kmsg record ends with a newline.
  const auto k = parse_record("audit: type=1326 pid=7 sig=31 arch=40000003 syscall=20 code=0x0\n");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->code, SECCOMP_RET_KILL_THREAD);
  EXPECT_EQ(k->arch, AUDIT_ARCH_I386);
  EXPECT_FALSE(parse_record("audit: type=1400 apparmor=\"DENIED\" pid=1 syscall=2"));
  EXPECT_FALSE(parse_record("audit: type=1326 pid=12 sig=31 arch=c000003e syscall=x code=0x0"));
}

TEST(ExitReport, NamesTheRuleTheDefaultOrTheBadArchAction) {
  policy::ir::Policy p;
  p.name = "web";
  p.loc = {"/nonexistent/web.pol", 1, 1};
  p.seccomp.arches = {SCMP_ARCH_X86_64};
  p.seccomp.default_action = {policy::ir::ActionKind::KillProcess, 0};
  policy::ir::SyscallRule kill_ptrace;
  kill_ptrace.syscall = "ptrace";
  kill_ptrace.action = {policy::ir::ActionKind::KillThread, 0};
  kill_ptrace.loc = {"/nonexistent/web.pol", 41, 5};
  p.seccomp.rules.push_back(kill_ptrace);
  const uint32_t x86_64 = AUDIT_ARCH_X86_64;
  // The file cannot be read: the rule is described from the IR.
  EXPECT_EQ(describe_kill(p, {1, 31, x86_64, 101, SECCOMP_RET_KILL_THREAD}),
            "ptrace (101, x86_64) [/nonexistent/web.pol:41:5: kill-thread ptrace]");
  EXPECT_EQ(describe_kill(p, {1, 31, x86_64, 39, SECCOMP_RET_KILL_PROCESS}),
            "getpid (39, x86_64) [/nonexistent/web.pol:1:1: the default action of policy web's "
            "syscalls, kill-process]");
  EXPECT_EQ(describe_kill(p, {1, 31, AUDIT_ARCH_I386, 20, SECCOMP_RET_KILL_THREAD}),
            "syscall (20, arch 0x40000003) [not an architecture of the filter: the bad-arch "
            "action]");
}

TEST(ExitReport, CountsTheSyscallsAFilterAllows) {
  const auto filter = launch_test::seccomp_filter({"getpid", "getppid"}, SCMP_ACT_KILL_PROCESS);
  const uint32_t native = policy::names::native_arch();
  const size_t all = policy::names::arch_syscall_numbers(native).size();
  EXPECT_EQ(policy::launch::exit_report::allowed_syscalls(filter, native), all - 2);
  EXPECT_EQ(policy::launch::exit_report::allowed_syscalls({}, native), 0u);
}

// The container's command is killed by its filter at uname(2): policyrun's diagnostics name the
// syscall and the rule, with its file:line:col and text.
TEST(ExitReport, SeccompKillNamesTheSyscallAndTheRule) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  if (const std::string why = kernel_logs_seccomp_kills(); !why.empty()) GTEST_SKIP() << why;
  const std::string pol = launch_test::scratch() + "/exit-report.pol";
  std::ofstream(pol) << "policy killer {\n"
                        "  syscalls default allow {\n"
                        "    errno(EPERM) acct\n"
                        "    kill uname, ptrace\n"
                        "  }\n"
                        "  namespaces { mount, pid, ipc, uts, net, cgroup }\n"
                        "  process { no_new_privileges }\n"
                        "}\n";
  CliResult r;
  // The kernel prints audit records through printk's rate limit (10 per 5 s) when no auditd
  // runs; records of other tests' kills on this host may use it up for a moment.
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = policyrun({"--policy", pol, "--root", launch_test::scratch() + "/exit-report-state",
                   "--apparmor=off", launch_test::busybox_layer(), "uname", "-a"});
    if (r.err.find("at syscall") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::seconds(5));
  }
  EXPECT_EQ(r.status, 128 + SIGSYS) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string arch = policy::names::arch_name(policy::names::native_arch());
  const std::string nr =
      std::to_string(*policy::names::syscall_number("uname", policy::names::native_arch()));
  EXPECT_NE(r.err.find("policyrun: the container was killed by its seccomp filter at syscall uname "
                       "(" +
                       nr + ", " + arch + ") [" + pol + ":4:10: kill uname, ptrace]"),
            std::string::npos)
      << r.err;
}

// A policy that allows (almost) no syscalls: busybox dies of SIGSEGV at once, and policyrun says
// that the filter allows only two syscalls.
TEST(ExitReport, CrashAtStartUnderATinyFilterIsExplained) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const std::string pol = launch_test::scratch() + "/exit-report-tiny.pol";
  std::ofstream(pol) << "policy tiny {\n"
                        "  syscalls default errno(EPERM) { allow execve, exit_group }\n"
                        "  namespaces { mount, pid, ipc, uts, net, cgroup }\n"
                        "  process { no_new_privileges }\n"
                        "}\n";
  const CliResult r =
      policyrun({"--policy", pol, "--root", launch_test::scratch() + "/exit-report-state",
                 "--apparmor=off", launch_test::busybox_layer(), "true"});
  ASSERT_GT(r.status, 128) << "busybox survived a filter that allows only execve and exit_group";
  const std::string arch = policy::names::arch_name(policy::names::native_arch());
  EXPECT_NE(r.err.find("policyrun: the container died of SIG"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the seccomp filter of policy tiny (" + pol + ":1:1) allows only 2 " +
                       "syscalls on " + arch),
            std::string::npos)
      << r.err;
}

// A crash status under a filter that allows most syscalls, or a status of another signal, is not
// the filter's doing: nothing is said.
TEST(ExitReport, OtherDeathsSayNothing) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const std::string pol = launch_test::scratch() + "/exit-report-quiet.pol";
  std::ofstream(pol) << "policy quiet {\n"
                        "  syscalls default allow { errno(EPERM) acct }\n"
                        "  namespaces { mount, pid, ipc, uts, net, cgroup }\n"
                        "  process { no_new_privileges }\n"
                        "}\n";
  const CliResult r =
      policyrun({"--policy", pol, "--root", launch_test::scratch() + "/exit-report-state",
                 "--apparmor=off", launch_test::busybox_layer(), "sh", "-c", "exit 139"});
  EXPECT_EQ(r.status, 128 + SIGSEGV) << r.err;
  EXPECT_EQ(r.err.find("policyrun:"), std::string::npos) << r.err;
}
