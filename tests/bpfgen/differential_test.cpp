// bpfgen against the libseccomp backend (the oracle): the same verdict for every syscall number
// of every target architecture and for argument values at and around every constant, on every
// shipped policy and on hand-made policies aimed at the hard cases.
#include <gtest/gtest.h>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/error.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support.hpp"

namespace policy::bpfgen {
namespace {

using testing::arch;

// `thorough`: also against libseccomp's linear mode and with the seccomp area's own comparer.
void expect_equivalent(const ir::SeccompPolicy& p, const std::string& what, bool thorough = false) {
  const seccomp::Program ours = generate(p);
  seccomp::validate_program(ours);
  for (bool tree : {true, false}) {
    if (!tree && !thorough) break;
    seccomp::LibseccompOptions o;
    o.binary_tree = tree;
    o.allow_multiplexer_widening = true;  // as runc does, and as bpfgen does (docs/bpfgen.md)
    const seccomp::Program theirs = seccomp::compile_with_libseccomp(p, o);
    auto diff = testing::compare_programs(ours, theirs, p);
    EXPECT_FALSE(diff) << what << (tree ? " (libseccomp tree)" : " (libseccomp linear)") << ": "
                       << *diff;
    if (diff) return;
  }
  if (!thorough) return;
  seccomp::LibseccompOptions o;
  o.allow_multiplexer_widening = true;
  const seccomp::Program tree = seccomp::compile_with_libseccomp(p, o);
  std::vector<uint32_t> arches = p.arches;
  auto diff = seccomp::first_difference(ours, tree, arches, seccomp::policy_constants(p));
  EXPECT_FALSE(diff) << what << " (seccomp::first_difference): " << *diff;
}

TEST(BpfgenDifferential, EveryShippedPolicyOnDefaultArches) {
  auto files = testing::shipped_policy_files();
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) expect_equivalent(testing::load_seccomp(f), f, true);
}

TEST(BpfgenDifferential, EveryShippedPolicyOnArmTargets) {
  for (const std::string& f : testing::shipped_policy_files())
    expect_equivalent(testing::load_seccomp(f, {arch("aarch64"), arch("arm")}), f + " (arm)", true);
}

ir::SyscallRule rule(const char* name, ir::Action a, ir::Condition c = {}) {
  ir::SyscallRule r;
  r.syscall = name;
  r.action = a;
  r.args = std::move(c);
  return r;
}

ir::Comparison cmp(unsigned arg, ir::CmpOp op, uint64_t v, uint64_t mask = ~0ULL,
                   ir::ArgWidth w = ir::ArgWidth::Bits64) {
  ir::Comparison c;
  c.arg = arg;
  c.arg_name = "arg" + std::to_string(arg);
  c.op = op;
  c.value = v;
  c.mask = mask;
  c.width = w;
  return c;
}

const ir::Action kAllow{ir::ActionKind::Allow, 0};
const ir::Action kEperm{ir::ActionKind::Errno, 1};

TEST(BpfgenDifferential, EveryOperatorAtWordEdges) {
  for (uint64_t v :
       {0ULL, 1ULL, 0xffffffffULL, 0x100000000ULL, 0x1234567800000000ULL, ~0ULL, 0x80000000ULL}) {
    for (int op = 0; op <= 6; ++op) {
      ir::SeccompPolicy p;
      p.target_kernel = ir::KernelVersion{6, 1};
      p.arches = {arch("x86_64"), arch("x86"), arch("x32")};
      const uint64_t mask = op == 6 ? 0xff0000ff000000ffULL : ~0ULL;
      p.rules.push_back(rule("personality", kAllow,
                             {{cmp(0, static_cast<ir::CmpOp>(op), op == 6 ? v & mask : v, mask)}}));
      p.rules.push_back(rule("read", kAllow));
      expect_equivalent(p, "op " + std::to_string(op) + " value " + std::to_string(v));
    }
  }
}

TEST(BpfgenDifferential, DefaultAllowKillsX32CallsWhenX32IsNotTargeted) {
  ir::SeccompPolicy p;
  p.target_kernel = ir::KernelVersion{6, 1};
  p.default_action = kAllow;
  p.arches = {arch("x86_64")};
  p.rules.push_back(rule("ptrace", kEperm));
  expect_equivalent(p, "default allow, x86_64 only");
  // And the generated filter itself: x32 numbers never reach the x86_64 table.
  const seccomp::Program ours = generate(p);
  struct seccomp_data d {};
  d.arch = seccomp::audit_arch(arch("x86_64"));
  d.nr = 0x40000000 | 39;  // getpid with the x32 bit
  EXPECT_EQ(seccomp::run_filter(ours, d), static_cast<uint32_t>(SECCOMP_RET_KILL_THREAD));
}

TEST(BpfgenDifferential, X32OnlyAndX86_64Only) {
  for (auto arches : std::vector<std::vector<uint32_t>>{{arch("x32")},
                                                        {arch("x86_64")},
                                                        {arch("x32"), arch("x86_64")},
                                                        {arch("x86"), arch("x32")}}) {
    ir::SeccompPolicy p;
    p.target_kernel = ir::KernelVersion{6, 1};
    p.arches = arches;
    p.rules.push_back(rule("read", kAllow));
    p.rules.push_back(rule("write", kAllow));
    p.rules.push_back(rule("socket", kAllow, {{cmp(0, ir::CmpOp::Eq, 2)}}));
    expect_equivalent(p, "arches " + std::to_string(arches.size()));
  }
}

TEST(BpfgenDifferential, MasksAndU32) {
  ir::SeccompPolicy p;
  p.target_kernel = ir::KernelVersion{6, 1};
  p.arches = {arch("x86_64"), arch("aarch64"), arch("arm")};
  p.rules.push_back(rule("clone", kAllow, {{cmp(0, ir::CmpOp::MaskedEq, 0, 0x7e020000ULL)}}));
  p.rules.push_back(rule("mmap", kAllow, {{cmp(2, ir::CmpOp::MaskedEq, 4, 4)}}));
  p.rules.push_back(rule("mprotect", kAllow,
                         {{cmp(2, ir::CmpOp::MaskedEq, 0x5, 0x7)},
                          {cmp(2, ir::CmpOp::MaskedEq, 0x100000000ULL, 0x100000000ULL)}}));
  p.rules.push_back(
      rule("ioctl", kEperm, {{cmp(1, ir::CmpOp::Eq, 0x5412, ~0ULL, ir::ArgWidth::Bits32)}}));
  p.rules.push_back(rule("ioctl", kAllow));
  p.default_action = {ir::ActionKind::KillProcess, 0};
  EXPECT_THROW(expect_equivalent(p, "masks"), Error);  // conditional errno + unconditional allow
  p.rules.pop_back();
  p.rules.push_back(
      rule("fcntl", kAllow,
           {{cmp(1, ir::CmpOp::Eq, 1, ~0ULL, ir::ArgWidth::Bits32)},
            {cmp(1, ir::CmpOp::MaskedEq, 0x400, 0xffff0400ULL, ir::ArgWidth::Bits32)}}));
  expect_equivalent(p, "masks");
}

}  // namespace
}  // namespace policy::bpfgen
