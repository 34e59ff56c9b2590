#include "compiler/seccomp/libseccomp_backend.hpp"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "compiler/common/error.hpp"
#include "compiler/seccomp/disassemble.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "seccomp/seccomp_test_support.hpp"

using namespace policy;
using namespace policy::seccomp;
using namespace seccomp_test;
using ir::CmpOp;

namespace {

const ir::KernelVersion kKernel{6, 1};

// Compiles with libseccomp (tree and linear) and checks every probed call against the IR's own
// verdict.
void expect_exact(const ir::SeccompPolicy& p, bool widening = false) {
  for (bool tree : {true, false}) {
    Program prog = compile_with_libseccomp(p, {tree, kKernel, widening});
    auto diff = first_difference_from_policy(prog, p, kKernel);
    EXPECT_FALSE(diff) << (tree ? "binary tree: " : "linear: ") << *diff << "\n"
                       << disassemble(prog);
  }
}

std::string error_of(const ir::SeccompPolicy& p) {
  try {
    compile_with_libseccomp(p, {true, kKernel});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

uint32_t verdict(const Program& prog, const char* arch_name, const char* syscall, Args args = {}) {
  const uint32_t a = arch(arch_name);
  return run_filter(prog, make_seccomp_data(a, *names::syscall_number(syscall, a), args));
}

}  // namespace

TEST(LibseccompBackend, UnconditionalRulesAndDefault) {
  ir::SeccompPolicy p = policy_for(
      err(EPERM), {rule("read", allow()), rule("write", allow()), rule("exit_group", allow()),
                   rule("clone3", err(ENOSYS)), rule("ptrace", kill_process())});
  expect_exact(p);
  Program prog = compile_with_libseccomp(p, {true, kKernel});
  EXPECT_EQ(verdict(prog, "x86_64", "read"), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(prog, "x86", "read"), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(prog, "x32", "read"), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(prog, "x86_64", "clone3"), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(verdict(prog, "x86_64", "ptrace"), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(verdict(prog, "x86_64", "openat"), SECCOMP_RET_ERRNO | EPERM);
}

TEST(LibseccompBackend, ArgumentConditionsOfEveryOperator) {
  ir::SeccompPolicy p = policy_for(
      err(EPERM),
      {rule("socket", allow(),
            {{cmp(0, CmpOp::Lt, 38)}, {cmp(0, CmpOp::Eq, 39)}, {cmp(0, CmpOp::Gt, 40)}}),
       rule("personality", allow(),
            {{cmp(0, CmpOp::Eq, 0)}, {cmp(0, CmpOp::Eq, 8)}, {cmp(0, CmpOp::Eq, 0xffffffff)}}),
       rule("clone", allow(), {{cmp(0, CmpOp::MaskedEq, 0, 0x7E020000)}}),
       rule("mmap", allow(),
            {{cmp(2, CmpOp::Le, PROT_READ | PROT_WRITE), cmp(3, CmpOp::Ne, MAP_SHARED)}}),
       rule("setuid", allow(), {{cmp(0, CmpOp::Ge, 1000)}}),
       rule("kill", err(EACCES), {{cmp(1, CmpOp::Eq, 9, ~0ULL, ir::ArgWidth::Bits32)}}),
       rule("exit_group", allow())});
  // socket(domain ...) on x86 is also reachable through socketcall(), where libseccomp cannot
  // check the domain: refused unless that widening is asked for.
  EXPECT_NE(error_of(p).find("socketcall()"), std::string::npos) << error_of(p);
  expect_exact(p, /*widening=*/true);
  Program prog = compile_with_libseccomp(p, {true, kKernel, true});
  // Through socketcall(SYS_SOCKET=1, argv) the domain is not checked.
  EXPECT_EQ(verdict(prog, "x86", "socketcall", {1, 0x1000}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(prog, "x86", "socketcall", {3, 0x1000}), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(verdict(prog, "x86_64", "socket", {AF_INET}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(prog, "x86_64", "socket", {38}), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(verdict(prog, "x86_64", "personality", {0xffffffff}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(prog, "x86_64", "personality", {4}), SECCOMP_RET_ERRNO | EPERM);
  // u32(sig) == 9 ignores the upper half of the register.
  EXPECT_EQ(verdict(prog, "x86_64", "kill", {1, 0xdead00000009ULL}), SECCOMP_RET_ERRNO | EACCES);
}

TEST(LibseccompBackend, DisjointConditionalRulesWithDifferentActions) {
  ir::SeccompPolicy p =
      policy_for(allow(),
                 {rule("socket", err(EACCES), {{cmp(0, CmpOp::Eq, AF_NETLINK)}}),
                  rule("socket", err(EPERM), {{cmp(0, CmpOp::Eq, AF_PACKET)}}),
                  rule("socket", allow(), {{cmp(0, CmpOp::Eq, AF_INET)}}),
                  rule("ioctl", err(EPERM), {{cmp(1, CmpOp::MaskedEq, 0x5412, 0xffffffff)}}),
                  rule("ioctl", kill_process(), {{cmp(1, CmpOp::MaskedEq, 0x5413, 0xffffffff)}})},
                 {arch("x86_64"), arch("x32")});
  expect_exact(p);
  // On x86 the socket rules all meet on socketcall(SYS_SOCKET), where the domain is not visible.
  p.arches.push_back(arch("x86"));
  try {
    compile_with_libseccomp(p, {true, kKernel, true});
    ADD_FAILURE() << "overlap through socketcall not detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("through socketcall()"), std::string::npos) << e.what();
  }
}

TEST(LibseccompBackend, ArchAndKernelGates) {
  ir::SyscallRule prctl = rule("arch_prctl", allow());
  prctl.arches = {arch("x86_64"), arch("x32")};
  ir::SyscallRule ldt = rule("modify_ldt", allow());
  ldt.not_arches = {arch("x32")};
  ir::SyscallRule future = rule("getpid", allow());
  future.min_kernel = ir::KernelVersion{7, 0};
  ir::SyscallRule past = rule("getppid", allow());
  past.min_kernel = ir::KernelVersion{4, 8};
  ir::SeccompPolicy p = policy_for(err(EPERM), {prctl, ldt, future, past, rule("read", allow())});
  expect_exact(p);
  Program prog = compile_with_libseccomp(p, {true, kKernel});
  EXPECT_EQ(verdict(prog, "x86_64", "modify_ldt"), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(prog, "x32", "modify_ldt"), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(verdict(prog, "x86_64", "getpid"), SECCOMP_RET_ERRNO | EPERM);
  EXPECT_EQ(verdict(prog, "x86_64", "getppid"), SECCOMP_RET_ALLOW);
  // The same policy for a 7.1 kernel keeps getpid.
  Program later = compile_with_libseccomp(p, {true, ir::KernelVersion{7, 1}});
  EXPECT_EQ(verdict(later, "x86_64", "getpid"), SECCOMP_RET_ALLOW);
}

TEST(LibseccompBackend, BadArchActionIsKillThreadLikeRunc) {
  ir::SeccompPolicy p = policy_for(err(EPERM), {rule("read", allow())}, {arch("x86_64")});
  Program prog = compile_with_libseccomp(p, {true, kKernel});
  struct seccomp_data d = make_seccomp_data(arch("x86"), 3);
  EXPECT_EQ(run_filter(prog, d), SECCOMP_RET_KILL_THREAD);
  // An x32 call on a filter without x32 is refused the same way.
  EXPECT_EQ(run_filter(prog, make_seccomp_data(arch("x32"), 0x40000000)), SECCOMP_RET_KILL_THREAD);
  p.bad_arch_action = err(ENOSYS);
  prog = compile_with_libseccomp(p, {true, kKernel});
  EXPECT_EQ(run_filter(prog, d), SECCOMP_RET_ERRNO | ENOSYS);
  expect_exact(p);
}

TEST(LibseccompBackend, OverlappingConditionalRulesWithDifferentActionsAreRefused) {
  ir::SeccompPolicy p =
      policy_for(err(EPERM), {rule("socket", allow(), {{cmp(0, CmpOp::Lt, 40)}}),
                              rule("socket", err(EACCES), {{cmp(0, CmpOp::Eq, AF_INET)}})});
  std::string e = error_of(p);
  EXPECT_NE(e.find("'socket'"), std::string::npos) << e;
  EXPECT_NE(e.find("overlaps"), std::string::npos) << e;
  EXPECT_NE(e.find("test.pol:1:1"), std::string::npos) << e;
  // Different arguments overlap too (a call can match both).
  p = policy_for(err(EPERM), {rule("mmap", allow(), {{cmp(2, CmpOp::Eq, PROT_READ)}}),
                              rule("mmap", kill_process(), {{cmp(3, CmpOp::Eq, MAP_SHARED)}})});
  EXPECT_NE(error_of(p).find("'mmap'"), std::string::npos);
}

TEST(LibseccompBackend, ConditionalBeforeUnconditionalWithAnotherActionIsRefused) {
  // A range cannot be carved out of the unconditional rule with masked equalities.
  ir::SeccompPolicy p =
      policy_for(allow(), {rule("personality", err(EPERM), {{cmp(0, CmpOp::Lt, 4)}}),
                           rule("personality", kill_process())});
  std::string e = error_of(p);
  EXPECT_NE(e.find("unconditional"), std::string::npos) << e;
  // Single values can: the unconditional kill becomes the masked equalities of every other value.
  p = policy_for(allow(), {rule("personality", err(EPERM), {{cmp(0, CmpOp::Eq, 4)}}),
                           rule("personality", err(EACCES), {{cmp(0, CmpOp::Eq, 0x20008)}}),
                           rule("personality", kill_process())});
  expect_exact(p);
  // Same action: the conditional rule is redundant and dropped.
  p = policy_for(err(EPERM), {rule("personality", allow(), {{cmp(0, CmpOp::Eq, 4)}}),
                              rule("personality", allow())});
  expect_exact(p);
}

TEST(LibseccompBackend, WhatLibseccompCannotExpressIsRefusedClearly) {
  // u32(arg) < N on a 64-bit arch.
  ir::SeccompPolicy p = policy_for(
      err(EPERM), {rule("kill", allow(), {{cmp(1, CmpOp::Lt, 10, ~0ULL, ir::ArgWidth::Bits32)}})});
  EXPECT_NE(error_of(p).find("u32(arg1)"), std::string::npos) << error_of(p);
  EXPECT_NE(error_of(p).find("use the default backend"), std::string::npos);
  // On a 32-bit-only target the register is 32 bits: exact.
  p.arches = {arch("x86")};
  expect_exact(p);
  // Two comparisons of one argument in a conjunction (a range).
  p = policy_for(err(EPERM),
                 {rule("setuid", allow(), {{cmp(0, CmpOp::Ge, 1000), cmp(0, CmpOp::Le, 2000)}})});
  EXPECT_NE(error_of(p).find("one comparison per argument"), std::string::npos) << error_of(p);
  // trap with data.
  p = policy_for(err(EPERM), {rule("read", ir::Action{ir::ActionKind::Trap, 3})});
  EXPECT_NE(error_of(p).find("trap(3)"), std::string::npos);
  // An unknown syscall.
  p = policy_for(err(EPERM), {rule("opn", allow())});
  EXPECT_NE(error_of(p).find("'opn'"), std::string::npos);
}

TEST(LibseccompBackend, RedundantComparisonsMerge) {
  ir::SeccompPolicy p = policy_for(
      err(EPERM), {rule("setuid", allow(), {{cmp(0, CmpOp::Eq, 5), cmp(0, CmpOp::Lt, 10)}}),
                   rule("setgid", allow(), {{cmp(0, CmpOp::Eq, 5), cmp(0, CmpOp::Eq, 6)}})});
  expect_exact(p);
}

TEST(LibseccompBackend, DisassemblyNamesArchesSyscallsAndActions) {
  ir::SeccompPolicy p = policy_for(err(EPERM), {rule("read", allow()), rule("clone3", err(ENOSYS))},
                                   {arch("x86_64")});
  Program prog = compile_with_libseccomp(p, {false, kKernel});
  std::string text = disassemble(prog);
  EXPECT_NE(text.find("ld   [4]"), std::string::npos) << text;
  EXPECT_NE(text.find("; arch"), std::string::npos) << text;
  EXPECT_NE(text.find("; x86_64\n"), std::string::npos) << text;
  EXPECT_NE(text.find("; x86_64 read"), std::string::npos) << text;
  EXPECT_NE(text.find("; x86_64 clone3"), std::string::npos) << text;
  EXPECT_NE(text.find("; errno(ENOSYS)"), std::string::npos) << text;
  EXPECT_NE(text.find("; errno(EPERM)"), std::string::npos) << text;
  EXPECT_NE(text.find("; allow"), std::string::npos) << text;
  EXPECT_NE(text.find("; kill-thread"), std::string::npos) << text;
  // One line per instruction, each starting with its index.
  size_t lines = std::count(text.begin(), text.end(), '\n');
  EXPECT_EQ(lines, prog.size());
  EXPECT_EQ(text.rfind("   0: ", 0), 0u);
  // With x86 and x32 too, numbers are named per arch (x32 numbers carry the x32 bit).
  p.arches = {arch("x86_64"), arch("x86"), arch("x32")};
  text = disassemble(compile_with_libseccomp(p, {true, kKernel}));
  EXPECT_NE(text.find("; x32 read\n"), std::string::npos) << text;
  EXPECT_NE(text.find("; x86 read\n"), std::string::npos) << text;
  EXPECT_NE(text.find("; x86\n"), std::string::npos) << text;
}

namespace {

// libseccomp 2.5.4 miscompiles this: after the high-word test it compares the low word against the
// high-word constant (see Kernel.LibseccompMiscompileIsReal for the kernel's view).
ir::SeccompPolicy miscompiled_by_libseccomp() {
  return policy_for(allow(),
                    {rule("personality", kill_process(),
                          {{cmp(1, CmpOp::Le, 0x100000000ULL)}, {cmp(1, CmpOp::Lt, 2)}})},
                    {arch("x86_64")});
}

}  // namespace

TEST(LibseccompBackend, VerificationRefusesWhatLibseccompMiscompiles) {
  const ir::SeccompPolicy p = miscompiled_by_libseccomp();
  Program prog = compile_with_libseccomp(p, {true, kKernel, false, /*verify=*/false});
  auto diff = first_difference_from_policy(prog, p, kKernel);
  ASSERT_TRUE(diff) << "libseccomp no longer miscompiles this policy";
  EXPECT_NE(diff->find("the filter gives allow, the policy says kill-process"), std::string::npos)
      << *diff;
  try {
    compile_with_libseccomp(p, {true, kKernel});
    FAIL() << "the miscompiled filter was returned";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("libseccomp 2.5.4 built a filter that does not decide"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("personality"), std::string::npos) << e.what();
  }
}
