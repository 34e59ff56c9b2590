// Both backends' filters installed for real in forked children: the kernel accepts them and
// refuses what the policy refuses (EPERM, SIGSYS), including the x32-bit bypass attempt.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <functional>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support.hpp"

namespace policy::bpfgen {
namespace {

using testing::arch;

// Runs `body` in a child with `prog` installed; returns the child's wait status. The body returns
// 0 when everything it checked held, else the number of the failed check.
int run_filtered(const seccomp::Program& prog, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    struct sock_fprog fp {
      static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())
    };
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(101);
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool host_is_x86_64() {
  return names::native_arch() == arch("x86_64");
}

struct Backend {
  const char* name;
  std::function<seccomp::Program(const ir::SeccompPolicy&)> build;
};

std::vector<Backend> backends() {
  return {{"bpfgen", [](const ir::SeccompPolicy& p) { return generate(p); }},
          {"libseccomp", [](const ir::SeccompPolicy& p) {
             seccomp::LibseccompOptions o;
             o.allow_multiplexer_widening = true;
             return seccomp::compile_with_libseccomp(p, o);
           }}};
}

long raw(long nr, unsigned long a0 = 0, unsigned long a1 = 0, unsigned long a2 = 0) {
  return syscall(nr, a0, a1, a2);
}

TEST(BpfgenKernel, DockerDefaultEnforcedByBothBackends) {
  if (!host_is_x86_64()) GTEST_SKIP() << "the checks below use x86_64 syscall behaviour";
  const auto p = testing::load_seccomp(testing::source_dir() + "/policies/docker-default.pol");
  for (const Backend& b : backends()) {
    const seccomp::Program prog = b.build(p);
    int status = run_filtered(prog, [] {
      if (raw(SYS_getpid) != getpid()) return 1;
      if (raw(SYS_personality, 0xffffffffUL) < 0) return 2;  // allowed query
      errno = 0;
      if (raw(SYS_personality, 0x1234) != -1 || errno != EPERM) return 3;
      errno = 0;
      // The high word counts on x86_64: 0x1_00000000 is not 0.
      if (raw(SYS_personality, 0x100000000UL) != -1 || errno != EPERM) return 4;
      errno = 0;
      if (raw(SYS_socket, AF_VSOCK, SOCK_STREAM, 0) != -1 || errno != EPERM) return 5;
      long fd = raw(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
      if (fd < 0) return 6;
      close(static_cast<int>(fd));
      errno = 0;
      if (raw(SYS_kexec_load) != -1 || errno != EPERM) return 7;
      return 0;
    });
    ASSERT_TRUE(WIFEXITED(status)) << b.name << " status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << b.name << ": failed check " << WEXITSTATUS(status);
  }
}

ir::SyscallRule rule(const char* name, ir::Action a) {
  ir::SyscallRule r;
  r.syscall = name;
  r.action = a;
  return r;
}

TEST(BpfgenKernel, KillActionsDeliverSigsys) {
  if (!host_is_x86_64()) GTEST_SKIP() << "x86_64 host expected";
  ir::SeccompPolicy p;
  p.arches = {arch("x86_64")};
  p.default_action = {ir::ActionKind::Allow, 0};
  p.rules.push_back(rule("getppid", {ir::ActionKind::KillProcess, 0}));
  p.rules.push_back(rule("getpgrp", {ir::ActionKind::Errno, 13}));
  for (const Backend& b : backends()) {
    const seccomp::Program prog = b.build(p);
    int status = run_filtered(prog, [] {
      errno = 0;
      if (raw(SYS_getpgrp) != -1 || errno != 13) return 1;
      raw(SYS_getppid);
      return 2;  // not reached
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << b.name << " status " << status;
    EXPECT_EQ(WTERMSIG(status), SIGSYS) << b.name;
  }
}

TEST(BpfgenKernel, X32BitBypassAttemptIsKilledWhenX32IsNotTargeted) {
  if (!host_is_x86_64()) GTEST_SKIP() << "the x32 bit exists only on x86_64";
  // Default allow, getpid denied: the known bypass is getpid with __X32_SYSCALL_BIT set, which a
  // filter without the x32 check lets through to the kernel.
  ir::SeccompPolicy p;
  p.arches = {arch("x86_64")};
  p.default_action = {ir::ActionKind::Allow, 0};
  p.rules.push_back(rule("getpid", {ir::ActionKind::Errno, 1}));
  for (const Backend& b : backends()) {
    const seccomp::Program prog = b.build(p);
    int status = run_filtered(prog, [] {
      errno = 0;
      if (raw(SYS_getpid) != -1 || errno != EPERM) return 1;
      raw(SYS_getpid | 0x40000000L);
      return 2;  // the filter let the x32 number through
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << b.name << " status " << status << " (exit "
                                     << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
    EXPECT_EQ(WTERMSIG(status), SIGSYS) << b.name;
  }
}

TEST(BpfgenKernel, EveryShippedPolicyIsAcceptedAndAllowsBasicCalls) {
  for (const std::string& f : testing::shipped_policy_files()) {
    const auto p = testing::load_seccomp(f);
    const seccomp::Program prog = generate(p);
    int status = run_filtered(prog, [] { return raw(SYS_getpid) == getpid() ? 0 : 1; });
    ASSERT_TRUE(WIFEXITED(status)) << f << " status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << f << " (101: the kernel refused the filter)";
  }
}

TEST(BpfgenKernel, LongJumpProgramDecidesInTheKernel) {
  if (!host_is_x86_64()) GTEST_SKIP() << "x86_64 host expected";
  // A distinct errno per syscall makes a program far longer than 255 instructions.
  ir::SeccompPolicy p;
  p.arches = {arch("x86_64")};
  p.default_action = {ir::ActionKind::Allow, 0};
  uint32_t e = 1;
  for (int nr : names::arch_syscall_numbers(arch("x86_64"))) {
    auto name = names::syscall_name(nr, arch("x86_64"));
    if (!name || *name == "exit" || *name == "exit_group" || *name == "getpid") continue;
    ir::SyscallRule r = rule(name->c_str(), {ir::ActionKind::Errno, 1000 + e++});
    ir::Comparison c;
    c.arg = 0;
    c.value = 12345;
    r.args = {{c}};
    p.rules.push_back(r);
  }
  const seccomp::Program prog = generate(p);
  ASSERT_GT(prog.size(), 300u);
  const int kexec_nr = SYS_kexec_load;
  int expected_errno = 0;
  {
    struct seccomp_data d {};
    d.arch = seccomp::audit_arch(arch("x86_64"));
    d.nr = kexec_nr;
    d.args[0] = 12345;
    expected_errno = static_cast<int>(seccomp::run_filter(prog, d) & SECCOMP_RET_DATA);
  }
  ASSERT_GT(expected_errno, 1000);
  int status = run_filtered(prog, [&] {
    if (raw(SYS_getpid) != getpid()) return 1;
    errno = 0;
    if (raw(SYS_kexec_load, 12345) != -1 || errno != expected_errno) return 2;
    errno = 0;
    if (raw(SYS_getppid, 1) < 0) return 3;  // other argument: allowed
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Syscalls newer than libseccomp's tables (mseal, statmount, ... after 2.5.4) get ENOSYS, as under
// runc, so that programs fall back; a syscall the policy refuses still gets EPERM.
TEST(BpfgenKernel, SyscallsNewerThanTheTablesGetEnosysUnderDockerDefault) {
  if (!host_is_x86_64()) GTEST_SKIP() << "the checks below use x86_64 syscall numbers";
  const auto p = testing::load_seccomp(testing::source_dir() + "/policies/docker-default.pol");
  const int highest = names::highest_syscall_number(arch("x86_64"));
  ASSERT_GT(highest, 400);
#ifdef __NR_mseal
  const long newer = __NR_mseal > highest ? __NR_mseal : highest + 1;
#else
  const long newer = highest + 1;  // these headers predate mseal (462 on x86_64)
#endif
  for (const Backend& b : backends()) {
    const seccomp::Program prog = b.build(p);
    int status = run_filtered(prog, [newer, highest] {
      errno = 0;
      if (raw(newer) != -1 || errno != ENOSYS) return 1;
      errno = 0;
      if (raw(highest + 1) != -1 || errno != ENOSYS) return 2;
      errno = 0;
      if (raw(0x3fffffff) != -1 || errno != ENOSYS) return 3;
      errno = 0;
      if (raw(SYS_acct, 0) != -1 || errno != EPERM) return 4;  // refused: CAP_SYS_PACCT not kept
      errno = 0;
      if (raw(SYS_swapon, 0, 0) != -1 || errno != EPERM) return 5;
      if (raw(SYS_getpid) != getpid()) return 6;
      return 0;
    });
    ASSERT_TRUE(WIFEXITED(status)) << b.name << " status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0)
        << b.name << ": failed check " << WEXITSTATUS(status) << " (syscall " << newer << ")";
  }
}

}  // namespace
}  // namespace policy::bpfgen
