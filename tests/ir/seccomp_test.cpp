#include "compiler/ir/seccomp.hpp"

#include <gtest/gtest.h>
#include <seccomp.h>

using namespace policy;

namespace {

const ir::KernelVersion kKernel{6, 1};

ir::SyscallRule rule() {
  ir::SyscallRule r;
  r.syscall = "clone3";
  return r;
}

}  // namespace

TEST(IrApplies, EveryArchWhenNoneIsNamed) {
  EXPECT_TRUE(ir::applies(rule(), SCMP_ARCH_X86_64, kKernel));
  EXPECT_TRUE(ir::applies(rule(), SCMP_ARCH_AARCH64, kKernel));
}

TEST(IrApplies, OnlyOnTheNamedArches) {
  ir::SyscallRule r = rule();
  r.arches = {SCMP_ARCH_X86_64, SCMP_ARCH_X32};
  EXPECT_TRUE(ir::applies(r, SCMP_ARCH_X86_64, kKernel));
  EXPECT_TRUE(ir::applies(r, SCMP_ARCH_X32, kKernel));
  EXPECT_FALSE(ir::applies(r, SCMP_ARCH_X86, kKernel));
}

TEST(IrApplies, NeverOnTheExcludedArches) {
  ir::SyscallRule r = rule();
  r.not_arches = {SCMP_ARCH_S390X};
  EXPECT_FALSE(ir::applies(r, SCMP_ARCH_S390X, kKernel));
  EXPECT_TRUE(ir::applies(r, SCMP_ARCH_X86_64, kKernel));
  r.arches = {SCMP_ARCH_S390X};  // named in both: excluded wins
  EXPECT_FALSE(ir::applies(r, SCMP_ARCH_S390X, kKernel));
}

TEST(IrApplies, FromItsMinimumKernelOn) {
  ir::SyscallRule r = rule();
  r.min_kernel = ir::KernelVersion{5, 8};
  EXPECT_FALSE(ir::applies(r, SCMP_ARCH_X86_64, {5, 7}));
  EXPECT_FALSE(ir::applies(r, SCMP_ARCH_X86_64, {4, 20}));
  EXPECT_TRUE(ir::applies(r, SCMP_ARCH_X86_64, {5, 8}));
  EXPECT_TRUE(ir::applies(r, SCMP_ARCH_X86_64, {6, 0}));
}
