// Both backends' filters installed for real in forked children: the kernel accepts them and
// refuses what the policy refuses (EPERM, SIGSYS), including the x32-bit bypass attempt; and
// bpfgen's programs for the property test's random policies decide in the kernel as in the
// interpreter (POLICY_PROPERTY_DRAWS sets how many, see property_test.cpp).
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support.hpp"
#include "support/int80.hpp"

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

// --- The interpreter judged by the kernel, on bpfgen's programs for random policies -------------
//
// A forked child per program installs two filters: first a sentinel that answers every call but
// seccomp() with errno(sentinel) - so no probed call ever runs, whatever its arguments - then the
// program under test. The kernel runs both and keeps the most severe action (the program's own
// errno wins a tie: it was installed last), so what the probe sees is the program's verdict:
// errno(e), trap(data) (a SIGSYS handler records it), a kill (the child dies of SIGSYS), or the
// sentinel's errno when the program lets the call pass (allow, log, trace). The child makes no
// other system call once the filters are in: it reports through shared memory and spins until
// the parent kills it.
#if defined(__x86_64__)
namespace policy::bpfgen {
namespace {

// What the kernel did with one probed call.
enum class Seen : int { NotRun, Passed, Errno, Trap, Killed, Other };
struct Observation {
  Seen seen = Seen::NotRun;
  uint64_t data = 0;
};
struct Probe {
  bool int80 = false;  // made as a 32-bit call (int $0x80): arch x86, 32-bit arguments
  uint32_t nr = 0;     // as the filter sees it (x32 calls carry the x32 bit)
  seccomp::Args args{};
};
constexpr size_t kMaxProbes = 64;
struct SharedReport {
  volatile int next;  // the probe being made
  volatile int done;
  Observation seen[kMaxProbes];
};

SharedReport* g_report = nullptr;
sigjmp_buf g_after_trap;

void record_trap(int, siginfo_t* info, void*) {
  g_report->seen[g_report->next] = {Seen::Trap, static_cast<uint32_t>(info->si_errno)};
  siglongjmp(g_after_trap, 1);  // no rt_sigreturn: the filter may refuse it
}

long raw_syscall(uint32_t nr, const seccomp::Args& a) {
  long ret;
  register uint64_t r10 asm("r10") = a[3];
  register uint64_t r8 asm("r8") = a[4];
  register uint64_t r9 asm("r9") = a[5];
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(static_cast<uint64_t>(nr)), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8),
                 "r"(r9)
               : "rcx", "r11", "memory");
  return ret;
}

seccomp::Program sentinel_filter(uint32_t sentinel_errno) {
  const auto seccomp_nr = static_cast<uint32_t>(*names::syscall_number("seccomp", arch("x86_64")));
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_nr, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | sentinel_errno),
  };
}

// Makes one probed call and stores the kernel's verdict in g_report->seen[i] (a trap through the
// SIGSYS handler, which jumps back here).
__attribute__((noinline)) void make_probe(size_t i, const Probe& p, uint32_t sentinel_errno) {
  g_report->next = static_cast<int>(i);
  if (sigsetjmp(g_after_trap, 0) != 0) return;  // a trap: recorded by the handler
  const long r = p.int80 ? test_support::raw_int80(p.nr, p.args) : raw_syscall(p.nr, p.args);
  Observation o{Seen::Other, static_cast<uint64_t>(r)};
  if (r == -static_cast<long>(sentinel_errno))
    o = {Seen::Passed, 0};
  else if (r < 0 && r >= -4095)
    o = {Seen::Errno, static_cast<uint64_t>(-r)};
  else if (r == 0)
    o = {Seen::Errno, 0};  // errno(0): the call "returns" 0 without running
  g_report->seen[i] = o;
}

// The child: both filters, then probes[first..] (those with run[i]), verdicts into g_report.
[[noreturn]] void probe_child(const seccomp::Program& prog, uint32_t sentinel_errno,
                              const std::vector<Probe>& probes, const std::vector<bool>& run,
                              size_t first) {
  struct rlimit no_core {
    0, 0
  };
  setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction sa {};
  sa.sa_sigaction = record_trap;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;  // SIGSYS stays deliverable: the handler never returns
  sigaction(SIGSYS, &sa, nullptr);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
  const seccomp::Program sentinel = sentinel_filter(sentinel_errno);
  struct sock_fprog fs {
    static_cast<unsigned short>(sentinel.size()), const_cast<sock_filter*>(sentinel.data())
  };
  struct sock_fprog fp {
    static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())
  };
  // Raw system calls from here on (nothing in libc can skip them), and the sentinel must answer
  // before any probe is made: a probe let through without it would run for real.
  const seccomp::Args sentinel_args{SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<uint64_t>(&fs)};
  if (raw_syscall(static_cast<uint32_t>(SYS_seccomp), sentinel_args) != 0) _exit(101);
  if (raw_syscall(static_cast<uint32_t>(SYS_getppid), {}) != -static_cast<long>(sentinel_errno))
    _exit(103);
  const seccomp::Args install_args{SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<uint64_t>(&fp)};
  if (raw_syscall(static_cast<uint32_t>(SYS_seccomp), install_args) != 0) _exit(102);
  for (size_t i = first; i < probes.size(); ++i)
    if (run[i]) make_probe(i, probes[i], sentinel_errno);
  asm volatile("" ::: "memory");  // every verdict is stored before done
  g_report->done = 1;
  for (;;) (void)g_report->done;
}

// What the kernel should show for the interpreter's verdict `ret`.
Observation expected_from(uint32_t ret) {
  const ir::Action a = seccomp::action_of(ret);
  switch (a.kind) {
    case ir::ActionKind::Errno:
      return {Seen::Errno, std::min<uint64_t>(a.value, 4095)};
    case ir::ActionKind::Trap:
      return {Seen::Trap, a.value};
    case ir::ActionKind::KillProcess:
    case ir::ActionKind::KillThread:
      return {Seen::Killed, 0};
    default:
      return {Seen::Passed, 0};  // allow, log, trace, user-notify: the sentinel answers
  }
}

std::string describe_seen(const Observation& o) {
  switch (o.seen) {
    case Seen::NotRun:
      return "not run";
    case Seen::Passed:
      return "let through (allow/log/trace)";
    case Seen::Errno:
      return "errno(" + std::to_string(o.data) + ")";
    case Seen::Trap:
      return "trap(" + std::to_string(o.data) + ")";
    case Seen::Killed:
      return "killed by SIGSYS";
    default:
      return "returned " + std::to_string(static_cast<long>(o.data));
  }
}

int pick_one(std::mt19937_64& rng, const std::vector<int>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

// Calls worth making under a random policy: each rule's syscall on x86_64, x32 and x86, with zero
// arguments and with its conditions' values and neighbours, then a few random numbers.
std::vector<Probe> probes_for(const ir::SeccompPolicy& p, std::mt19937_64& rng, bool int80) {
  std::vector<Probe> out;
  const auto seccomp_nr = static_cast<uint32_t>(*names::syscall_number("seccomp", arch("x86_64")));
  auto add = [&](const char* arch_name, uint32_t nr, seccomp::Args args) {
    const bool is_x86 = std::string(arch_name) == "x86";
    if (is_x86 && !int80) return;
    if (!is_x86 && nr == seccomp_nr) return;  // the sentinel lets it run
    if (is_x86)
      for (uint64_t& v : args) v &= 0xffffffffULL;
    if (out.size() < kMaxProbes) out.push_back({is_x86, nr, args});
  };
  for (const ir::SyscallRule& r : p.rules) {
    for (const char* a : {"x86_64", "x32", "x86"}) {
      const auto nr = names::syscall_number(r.syscall, arch(a));
      if (!nr || *nr < 0) continue;
      const auto n = static_cast<uint32_t>(*nr);
      add(a, n, {});
      for (const ir::Conjunction& conj : r.args) {
        seccomp::Args at{}, above{};
        for (const ir::Comparison& c : conj) {
          at[c.arg] = c.value;
          above[c.arg] = c.value + 1;
        }
        add(a, n, at);
        add(a, n, above);
      }
    }
  }
  // Random numbers among those libseccomp names: a number its tables do not know may be a newer
  // system call the kernel exempts from seccomp altogether (uretprobe and uprobe on x86_64, Linux
  // 6.11 and 6.18: every filter is skipped for them).
  const std::vector<int> known = names::arch_syscall_numbers(arch("x86_64"));
  for (int k = 0; k < 4; ++k)
    add("x86_64", static_cast<uint32_t>(pick_one(rng, known)), {rng(), rng(), 0, 0, 0, 0});
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

TEST(BpfgenKernel, RandomProgramsDecideInTheKernelAsInTheInterpreter) {
  if (!host_is_x86_64()) GTEST_SKIP() << "the probes are made with x86_64 system calls";
  // Each kill the kernel carries out is an audit record in the kernel log, which is rate-limited
  // host-wide (10 per 5 s): a few real kills, the other kill verdicts are not made.
  constexpr size_t kKillBudget = 8;
  const size_t draws = testing::property_draws();
  const uint64_t seed = testing::property_seed();
  const bool int80 = test_support::host_takes_int80();
  std::mt19937_64 rng(seed), probe_rng(seed + 1);
  auto* report = static_cast<SharedReport*>(mmap(
      nullptr, sizeof(SharedReport), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(report, MAP_FAILED);
  g_report = report;
  size_t verdicts = 0, kills_planned = 0, kills_skipped = 0, children = 0;
  std::map<Seen, size_t> by_kind;
  for (size_t i = 0; i < draws; ++i) {
    const ir::SeccompPolicy p = testing::random_policy(rng);
    const seccomp::Program prog = generate(p);
    std::set<uint64_t> used_errnos;
    for (const ir::SyscallRule& r : p.rules) used_errnos.insert(r.action.value);
    used_errnos.insert(p.default_action.value);
    if (p.bad_arch_action) used_errnos.insert(p.bad_arch_action->value);
    uint32_t sentinel = 4095;
    while (used_errnos.count(sentinel)) --sentinel;

    const std::vector<Probe> probes = probes_for(p, probe_rng, int80);
    std::vector<Observation> want(probes.size());
    std::vector<bool> run(probes.size(), true);
    for (size_t k = 0; k < probes.size(); ++k) {
      struct seccomp_data d {};
      d.arch = probes[k].int80 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
      d.nr = static_cast<int>(probes[k].nr);
      for (size_t a = 0; a < 6; ++a) d.args[a] = probes[k].args[a];
      want[k] = expected_from(seccomp::run_filter(prog, d));
      if (want[k].seen == Seen::Killed && ++kills_planned > kKillBudget) {
        run[k] = false;
        ++kills_skipped;
      }
    }
    std::memset(static_cast<void*>(report), 0, sizeof(SharedReport));
    // A child per program; after a kill, a new one goes on with the next probe.
    for (size_t first = 0; first < probes.size();) {
      report->done = 0;
      report->next = -1;
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) probe_child(prog, sentinel, probes, run, first);
      ++children;
      int status = 0;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      pid_t w = 0;
      while ((w = waitpid(pid, &status, WNOHANG)) == 0 && !report->done &&
             std::chrono::steady_clock::now() < deadline)
        usleep(100);
      if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ASSERT_TRUE(report->done) << "draw " << i << ": the probing child hung";
        break;
      }
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS && report->next >= 0)
          << "draw " << i << ": the probing child ended with status " << status
          << " (exit 100-103: it could not install the filters)";
      const auto killed_at = static_cast<size_t>(report->next);
      report->seen[killed_at] = {Seen::Killed, 0};
      first = killed_at + 1;
    }
    for (size_t k = 0; k < probes.size(); ++k) {
      if (!run[k]) continue;
      const Observation& got = report->seen[k];
      ++verdicts;
      ++by_kind[got.seen];
      ASSERT_TRUE(got.seen == want[k].seen && got.data == want[k].data)
          << "seed " << seed << ", draw " << i << ": " << (probes[k].int80 ? "x86" : "x86_64")
          << " call nr " << probes[k].nr << " arg0 " << probes[k].args[0] << " arg1 "
          << probes[k].args[1] << ": the interpreter says " << describe_seen(want[k])
          << ", the kernel " << describe_seen(got);
    }
  }
  munmap(report, sizeof(SharedReport));
  std::printf(
      "%zu kernel verdicts on bpfgen's programs for %zu random policies (%zu children): %zu let "
      "through, %zu errno, %zu trap, %zu kill; %zu kill verdicts not made (kill budget)%s\n",
      verdicts, draws, children, by_kind[Seen::Passed], by_kind[Seen::Errno], by_kind[Seen::Trap],
      by_kind[Seen::Killed], kills_skipped, int80 ? "" : "; no 32-bit calls (no IA32 emulation)");
  if (draws >= 100) {
    EXPECT_GT(by_kind[Seen::Passed], 0u);
    EXPECT_GT(by_kind[Seen::Errno], 0u);
    EXPECT_GT(by_kind[Seen::Trap], 0u);
    EXPECT_GT(by_kind[Seen::Killed], 0u);
  }
}

}  // namespace
}  // namespace policy::bpfgen
#endif  // __x86_64__
