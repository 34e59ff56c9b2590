// bpfgen against the libseccomp backend (the oracle): the same verdict for every syscall number
// of every target architecture and for argument values at and around every constant, on every
// shipped policy and on hand-made policies aimed at the hard cases.
#include <gtest/gtest.h>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/enosys.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support.hpp"

namespace policy::bpfgen {
namespace {

using testing::arch;

// About the oracle and syscalls newer than the tables: libseccomp cannot name a number it does not
// know, so the libseccomp backend answers those with ENOSYS through its own stub in front of
// libseccomp's program (seccomp::with_enosys_stub, built apart from bpfgen's search), and verifies
// the result against the IR's verdict (seccomp::decide, which has the rule too). The comparisons
// below therefore include the ENOSYS range on both sides; UnknownNumbersGetEnosysOnEveryArch
// checks that range by itself, and that libseccomp alone (no stub) differs exactly there.

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

uint32_t ret_for(const seccomp::Program& prog, uint32_t arch_token, uint32_t nr) {
  return seccomp::run_filter(prog, seccomp::make_seccomp_data(arch_token, nr));
}

// Numbers above the highest syscall libseccomp knows on an arch get ENOSYS from both backends when
// the default refuses (errno, kill, trap), never when it lets calls through (allow, log); -1 (no
// syscall) and every number the tables know keep their verdicts; libseccomp's own program (stub
// off) gives the default there, and is the stubbed program everywhere else.
TEST(BpfgenDifferential, UnknownNumbersGetEnosysOnEveryArch) {
  const uint32_t enosys = SECCOMP_RET_ERRNO | ENOSYS;
  const std::vector<ir::Action> defaults = {kEperm,
                                            {ir::ActionKind::KillProcess, 0},
                                            {ir::ActionKind::Trap, 0},
                                            kAllow,
                                            {ir::ActionKind::Log, 0}};
  for (const ir::Action& deflt : defaults) {
    for (const std::vector<uint32_t>& arches :
         {std::vector<uint32_t>{arch("x86_64"), arch("x86"), arch("x32")},
          std::vector<uint32_t>{arch("x86_64")}, std::vector<uint32_t>{arch("x32")},
          std::vector<uint32_t>{arch("aarch64"), arch("arm")}}) {
      ir::SeccompPolicy p;
      p.arches = arches;
      p.default_action = deflt;
      p.rules.push_back(rule("getpid", deflt == kAllow ? kEperm : kAllow));
      p.rules.push_back(rule("personality", kAllow, {{cmp(0, ir::CmpOp::Eq, 8)}}));
      seccomp::LibseccompOptions o;
      o.allow_multiplexer_widening = true;
      const seccomp::Program ours = generate(p), theirs = seccomp::compile_with_libseccomp(p, o);
      o.enosys_stub = false;
      const seccomp::Program raw = seccomp::compile_with_libseccomp(p, o);
      const bool stub = deflt.kind != ir::ActionKind::Allow && deflt.kind != ir::ActionKind::Log;
      EXPECT_EQ(seccomp::enosys_for_unknown_syscalls(deflt), stub);
      const uint32_t def_ret = seccomp::ret_of(deflt);
      for (uint32_t a : arches) {
        const std::string what = names::arch_name(a) + " default " + seccomp::describe(deflt);
        const std::vector<seccomp::NumberSpan> spans = seccomp::unknown_syscall_spans(a);
        ASSERT_FALSE(spans.empty()) << what;
        const uint32_t highest = static_cast<uint32_t>(names::highest_syscall_number(a));
        // The table ends at the highest number; on arm, at the highest before its private calls.
        if (a != arch("arm")) {
          EXPECT_EQ(spans.front().lo, highest + 1) << what;
        }
        EXPECT_EQ(spans.back().hi, a == arch("x86_64") ? 0x3fffffffU : 0xfffffffeU) << what;
        for (const seccomp::NumberSpan& span : spans)
          for (uint32_t nr : {span.lo, span.lo + 1,
                              static_cast<uint32_t>((uint64_t{span.lo} + span.hi) / 2), span.hi}) {
            if (nr > span.hi) continue;
            EXPECT_EQ(ret_for(ours, a, nr), stub ? enosys : def_ret) << what << " nr " << nr;
            EXPECT_EQ(ret_for(theirs, a, nr), stub ? enosys : def_ret) << what << " nr " << nr;
            EXPECT_EQ(ret_for(raw, a, nr), def_ret)
                << what << " nr " << nr << " (libseccomp alone)";
          }
        const uint32_t below = spans.front().lo - 1;  // the table's last number
        EXPECT_EQ(ret_for(ours, a, below), def_ret) << what << " (the table's last number)";
        EXPECT_EQ(ret_for(ours, a, highest), def_ret) << what << " (the highest known number)";
        if (a != arch("x32")) {  // -1 is looked up in the x86_64 part of a filter with both
          EXPECT_EQ(ret_for(ours, a, 0xffffffffU), ret_for(raw, a, 0xffffffffU)) << what;
          EXPECT_EQ(ret_for(theirs, a, 0xffffffffU), ret_for(raw, a, 0xffffffffU)) << what;
        }
      }
      // Everywhere else the stub changes nothing: the stubbed and the raw libseccomp programs,
      // with the ENOSYS range given to the raw one by the stub builder, agree with bpfgen.
      auto diff =
          testing::compare_programs(ours, stub ? seccomp::with_enosys_stub(raw, arches) : raw, p);
      EXPECT_FALSE(diff) << seccomp::describe(deflt) << ": " << *diff;
      if (!stub) {
        EXPECT_EQ(theirs.size(), raw.size()) << "no stub for a default that lets calls through";
      }
    }
  }
}

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
  // A conditional errno carving one value out of an unconditional allow: libseccomp gets the
  // other values of the low 32 bits as masked equalities (docs/seccomp.md), and both agree.
  expect_equivalent(p, "masks, TIOCSTI carved out of ioctl");
  p.rules.pop_back();
  p.rules.push_back(
      rule("fcntl", kAllow,
           {{cmp(1, ir::CmpOp::Eq, 1, ~0ULL, ir::ArgWidth::Bits32)},
            {cmp(1, ir::CmpOp::MaskedEq, 0x400, 0xffff0400ULL, ir::ArgWidth::Bits32)}}));
  expect_equivalent(p, "masks");
}

}  // namespace
}  // namespace policy::bpfgen
