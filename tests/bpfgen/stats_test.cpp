// Statistics, the kernel-cache rule, frequencies, long jumps and the 4096-instruction limit.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdio>
#include <fstream>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support.hpp"

namespace policy::bpfgen {
namespace {

using testing::arch;

const ir::Action kAllow{ir::ActionKind::Allow, 0};

ir::SyscallRule rule(const std::string& name, ir::Action a, ir::Condition c = {}) {
  ir::SyscallRule r;
  r.syscall = name;
  r.action = a;
  r.args = std::move(c);
  return r;
}

ir::Comparison eq(unsigned arg, uint64_t v) {
  ir::Comparison c;
  c.arg = arg;
  c.arg_name = "arg" + std::to_string(arg);
  c.value = v;
  return c;
}

// `enosys_stub`: the libseccomp backend's stub for numbers above the tables (docs/seccomp.md).
// Sizes and executed counts are compared with libseccomp's own program, without it: the stub is
// this project's addition, and counting it (13 instructions, ~5 executed per call on Docker's
// profile) would make the targets easier to meet. Equivalence checks keep it.
seccomp::Program libseccomp(const ir::SeccompPolicy& p, bool tree, bool enosys_stub = false) {
  seccomp::LibseccompOptions o;
  o.binary_tree = tree;
  o.allow_multiplexer_widening = true;
  o.enosys_stub = enosys_stub;
  return seccomp::compile_with_libseccomp(p, o);
}

TEST(BpfgenStats, DockerDefaultMeetsTheTargets) {
  const auto p = testing::load_seccomp(testing::source_dir() + "/policies/docker-default.pol");
  const Stats ours = measure(generate(p), p);
  const Stats tree = measure(libseccomp(p, true), p);
  const Stats linear = measure(libseccomp(p, false), p);
  std::printf(
      "docker-default: bpfgen %zu insns, mean %.2f (native %.2f), max %zu, cached %zu/%zu\n",
      ours.instructions, ours.mean_executed_allowed, ours.mean_executed_allowed_native,
      ours.max_executed_allowed, ours.cache_eligible_allowed, ours.allowed_syscalls);
  std::printf("docker-default: tree   %zu insns, mean %.2f (native %.2f), max %zu, cached %zu\n",
              tree.instructions, tree.mean_executed_allowed, tree.mean_executed_allowed_native,
              tree.max_executed_allowed, tree.cache_eligible_allowed);
  std::printf("docker-default: linear %zu insns, mean %.2f (native %.2f), max %zu, cached %zu\n",
              linear.instructions, linear.mean_executed_allowed,
              linear.mean_executed_allowed_native, linear.max_executed_allowed,
              linear.cache_eligible_allowed);
  EXPECT_EQ(ours.allowed_syscalls, tree.allowed_syscalls);
  EXPECT_LE(static_cast<double>(ours.instructions), 0.3 * static_cast<double>(tree.instructions));
  // The 0.6x is judged on the native arch's mean (its "about 15" and "158" are
  // libseccomp's x86_64 figures; docs/bpfgen.md, "Statistics").
  EXPECT_LE(ours.mean_executed_allowed_native, 0.6 * tree.mean_executed_allowed_native);
  // Over every target arch (x32 and x86 included) comparison search cannot reach 0.6x (docs,
  // "Where the executed count stands"); this bound keeps the trade-off for x32 from drifting.
  EXPECT_LE(ours.mean_executed_allowed, 0.75 * tree.mean_executed_allowed);
  EXPECT_GE(ours.cache_eligible_allowed, tree.cache_eligible_allowed);
  // Every argument-free allowed syscall (on an arch with a cache) is cacheable.
  EXPECT_EQ(ours.cache_eligible_allowed, ours.argument_free_allowed);
}

TEST(BpfgenStats, SmallerAndFasterThanLibseccompOnEveryShippedPolicy) {
  for (const std::string& f : testing::shipped_policy_files()) {
    const auto p = testing::load_seccomp(f);
    const Stats ours = measure(generate(p), p);
    for (bool t : {true, false}) {
      const Stats theirs = measure(libseccomp(p, t), p);
      EXPECT_LT(ours.instructions, theirs.instructions) << f << (t ? " tree" : " linear");
      EXPECT_LT(ours.mean_executed_allowed, theirs.mean_executed_allowed) << f;
      EXPECT_GE(ours.cache_eligible_allowed, theirs.cache_eligible_allowed) << f;
    }
    EXPECT_EQ(ours.cache_eligible_allowed, ours.argument_free_allowed) << f;
  }
}

TEST(BpfgenStats, MeasureCountsByHand) {
  // x86_64 only, read allowed, personality(0) allowed: the paths are short enough to count.
  ir::SeccompPolicy p;
  p.target_kernel = ir::KernelVersion{6, 1};
  p.arches = {arch("x86_64")};
  p.rules.push_back(rule("read", kAllow));
  p.rules.push_back(rule("personality", kAllow, {{eq(0, 0)}}));
  const seccomp::Program prog = generate(p);
  const Stats s = measure(prog, p);
  EXPECT_EQ(s.instructions, prog.size());
  EXPECT_EQ(s.allowed_syscalls, 2u);
  EXPECT_EQ(s.argument_free_allowed, 1u);
  EXPECT_EQ(s.cache_eligible_allowed, 1u);  // read; personality reads its argument
  EXPECT_TRUE(
      kernel_would_cache(prog, arch("x86_64"), *names::syscall_number("read", arch("x86_64"))));
  EXPECT_FALSE(kernel_would_cache(prog, arch("x86_64"),
                                  *names::syscall_number("personality", arch("x86_64"))));
  EXPECT_FALSE(
      kernel_would_cache(prog, arch("x86_64"), *names::syscall_number("write", arch("x86_64"))));
  // The mean is the average of the two traced runs.
  double sum = 0;
  size_t mx = 0;
  for (const char* n : {"read", "personality"}) {
    struct seccomp_data d {};
    d.arch = seccomp::audit_arch(arch("x86_64"));
    d.nr = *names::syscall_number(n, arch("x86_64"));
    size_t e = seccomp::run_filter_traced(prog, d).executed;
    sum += static_cast<double>(e);
    mx = std::max(mx, e);
  }
  EXPECT_DOUBLE_EQ(s.mean_executed_allowed, sum / 2);
  EXPECT_EQ(s.max_executed_allowed, mx);
}

TEST(BpfgenStats, BitTestsCutTheSearchOnInterleavedNumbers) {
  // Every even x86_64 number below 64 allowed, every odd one denied: 64 ranges, so a comparison
  // tree needs at least log2(32) = 5 tests to reach an allowed call; JSET on bit 0 and one JGE
  // decide it in 2 (plus load arch, arch test, load nr, return).
  ir::SeccompPolicy p;
  p.target_kernel = ir::KernelVersion{6, 1};
  p.arches = {arch("x86_64")};
  for (int nr = 0; nr < 64; nr += 2)
    if (auto name = names::syscall_name(nr, arch("x86_64"))) p.rules.push_back(rule(*name, kAllow));
  const seccomp::Program prog = generate(p);
  const Stats s = measure(prog, p);
  std::printf("even numbers below 64: %zu instructions, mean %.2f, max %zu\n", s.instructions,
              s.mean_executed_allowed, s.max_executed_allowed);
  EXPECT_EQ(s.allowed_syscalls, 32u);
  EXPECT_LE(s.max_executed_allowed, 6u);
  bool bit_test = false;
  for (const sock_filter& f : prog) bit_test |= f.code == (BPF_JMP | BPF_JSET | BPF_K) && f.k == 1;
  EXPECT_TRUE(bit_test);
  EXPECT_EQ(s.cache_eligible_allowed, s.argument_free_allowed);  // JSET is cache-safe
  auto diff = testing::compare_programs(prog, libseccomp(p, true, /*enosys_stub=*/true), p);
  EXPECT_FALSE(diff) << *diff;
}

TEST(BpfgenStats, KernelCacheRuleRejectsArgumentLoadsAndUnknownInstructions) {
  const uint32_t x86_64 = arch("x86_64");
  const uint32_t audit = seccomp::audit_arch(x86_64);
  seccomp::Program allow_all = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_TRUE(kernel_would_cache(allow_all, x86_64, 0));
  EXPECT_FALSE(kernel_would_cache(allow_all, arch("x32"), 0x40000000));  // no x32 bitmap
  seccomp::Program reads_arg = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16),
                                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_FALSE(kernel_would_cache(reads_arg, x86_64, 0));
  seccomp::Program with_and = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
                               BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffffffff),
                               BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit, 0, 1),
                               BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                               BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)};
  EXPECT_TRUE(kernel_would_cache(with_and, x86_64, 3));
  EXPECT_FALSE(kernel_would_cache(with_and, arch("aarch64"), 3));
  seccomp::Program tax = {BPF_STMT(BPF_MISC | BPF_TAX, 0),
                          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_FALSE(kernel_would_cache(tax, x86_64, 0));
}

TEST(BpfgenStats, LongJumpsAreRoutedAndEquivalent) {
  // Every syscall with its own argument check and a distinct errno: hundreds of blocks, so the
  // number search jumps far beyond 255 instructions.
  ir::SeccompPolicy p;
  p.target_kernel = ir::KernelVersion{6, 1};
  p.arches = {arch("x86_64")};
  uint32_t e = 1;
  for (int nr : names::arch_syscall_numbers(arch("x86_64"))) {
    auto name = names::syscall_name(nr, arch("x86_64"));
    if (!name || (e % 2)) {
      ++e;
      continue;
    }
    const auto value = e++;
    p.rules.push_back(rule(*name, ir::Action{ir::ActionKind::Errno, value}, {{eq(1, value)}}));
  }
  const seccomp::Program prog = generate(p);
  EXPECT_GT(prog.size(), 600u);
  bool far = false;
  for (const sock_filter& f : prog)
    if (f.code == (BPF_JMP | BPF_JA) && f.k > 255) far = true;
  seccomp::validate_program(prog);
  auto diff = testing::compare_programs(prog, libseccomp(p, true, /*enosys_stub=*/true), p);
  EXPECT_FALSE(diff) << *diff;
  std::printf("long-jump policy: %zu instructions, far JA present: %d\n", prog.size(), far);
}

TEST(BpfgenStats, TooBigForTheKernelIsAClearError) {
  ir::SeccompPolicy p;
  p.target_kernel = ir::KernelVersion{6, 1};
  p.arches = {arch("x86_64"), arch("x86"), arch("aarch64"), arch("arm")};
  uint64_t k = 0;
  for (const std::string& name : names::all_syscall_names()) {
    ir::Condition c;  // distinct per syscall, so that nothing can be shared
    ++k;
    for (uint64_t v = 0; v < 6; ++v) c.push_back({eq(static_cast<unsigned>(v), (k << 32) + v)});
    p.rules.push_back(rule(name, kAllow, c));
  }
  try {
    generate(p);
    FAIL() << "expected the 4096-instruction limit";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("at most 4096"), std::string::npos) << err.what();
  }
}

TEST(BpfgenFrequencies, ParsesStraceSummaryAndRejectsGarbage) {
  const std::string path = ::testing::TempDir() + "/strace-c.txt";
  {
    std::ofstream f(path);
    f << "strace: Process 123 attached\n"
         "% time     seconds  usecs/call     calls    errors syscall\n"
         "------ ----------- ----------- --------- --------- ----------------\n"
         " 54.42    0.353462        1732       204           wait4\n"
         "  2.44    0.015822          29       529        23 read\n"
         "------ ----------- ----------- --------- --------- ----------------\n"
         "100.00    0.369284                   733        23 total\n";
  }
  FrequencyTable t = load_frequencies(path);
  EXPECT_EQ(t.calls.at("wait4"), 204);
  EXPECT_EQ(t.calls.at("read"), 529);
  EXPECT_EQ(t.total(), 733);
  {
    std::ofstream f(path);
    f << "% time     seconds  usecs/call     calls    errors syscall\n 1.0 0.1 1 many 2 read\n";
  }
  try {
    load_frequencies(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_frequencies(path + ".missing"), Error);
  EXPECT_GT(builtin_frequencies().calls.size(), 20u);
  EXPECT_GT(builtin_frequencies().calls.at("read"), 1000);
}

TEST(BpfgenFrequencies, FrequentSyscallsGetShorterPaths) {
  const auto p = testing::load_seccomp(testing::source_dir() + "/policies/docker-default.pol");
  FrequencyTable only_getppid;
  only_getppid.calls["getppid"] = 1e6;
  Options o;
  o.frequencies = &only_getppid;
  const seccomp::Program skewed = generate(p, o);
  FrequencyTable none;
  Options u;
  u.frequencies = &none;
  const seccomp::Program uniform = generate(p, u);
  struct seccomp_data d {};
  d.arch = seccomp::audit_arch(arch("x86_64"));
  d.nr = *names::syscall_number("getppid", arch("x86_64"));
  EXPECT_LT(seccomp::run_filter_traced(skewed, d).executed,
            seccomp::run_filter_traced(uniform, d).executed);
  EXPECT_FALSE(testing::compare_programs(skewed, uniform, p));
}

}  // namespace
}  // namespace policy::bpfgen
