// Argument conditions: argument names, constants, and the exact DNF of not/and/or/in/masked.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "compiler/common/syscall_args.hpp"
#include "tests/frontend/test_util.hpp"

namespace policy {
namespace {

using test::compile;

// The DNF of the first rule, written compactly: "a0==1 & a1!=2 | ..." (argument index, op, hex).
std::string dnf_of(const std::string& rule_text) {
  auto c = compile("policy p { syscalls {\n" + rule_text + "\n} }");
  if (!c.policy) return "ERROR: " + c.diagnostics;
  if (c.policy->seccomp.rules.empty()) return "NO RULE";
  const ir::Condition& cond = c.policy->seccomp.rules[0].args;
  std::string out;
  for (size_t i = 0; i < cond.size(); ++i) {
    if (i) out += " | ";
    for (size_t j = 0; j < cond[i].size(); ++j) {
      const ir::Comparison& x = cond[i][j];
      if (j) out += " & ";
      static const char* ops[] = {"==", "!=", "<", "<=", ">", ">=", "&"};
      char buf[96];
      if (x.op == ir::CmpOp::MaskedEq)
        snprintf(buf, sizeof buf, "%sa%u&%llx==%llx", x.width == ir::ArgWidth::Bits32 ? "u32:" : "",
                 x.arg, (unsigned long long)x.mask, (unsigned long long)x.value);
      else
        snprintf(buf, sizeof buf, "%sa%u%s%llx", x.width == ir::ArgWidth::Bits32 ? "u32:" : "",
                 x.arg, ops[static_cast<int>(x.op)], (unsigned long long)x.value);
      out += buf;
    }
  }
  return out;
}

TEST(SyscallArgs, NamesFromManualPages) {
  EXPECT_EQ(syscall_arg_names("socket"), (std::vector<std::string>{"domain", "type", "protocol"}));
  EXPECT_EQ(syscall_arg_index("socket", "protocol"), 2u);
  EXPECT_EQ(syscall_arg_index("personality", "persona"), 0u);
  EXPECT_EQ(syscall_arg_index("clone", "flags"), 0u);  // the raw x86-64 syscall, not glibc's
  EXPECT_EQ(syscall_arg_index("ioctl", "request"), 1u);
  EXPECT_EQ(syscall_arg_index("prctl", "option"), 0u);
  EXPECT_EQ(syscall_arg_index("mmap", "prot"), 2u);
  EXPECT_EQ(syscall_arg_index("mprotect", "prot"), 2u);
  EXPECT_EQ(syscall_arg_index("kill", "sig"), 1u);
  EXPECT_EQ(syscall_arg_index("clone3", "size"), 1u);
  EXPECT_EQ(syscall_arg_index("socket", "arg1"), 1u);
  EXPECT_EQ(syscall_arg_index("socket", "arg6"), std::nullopt);
  EXPECT_EQ(syscall_arg_index("socket", "family"), std::nullopt);
  // kernel names that differ from the manual's function
  EXPECT_EQ(syscall_arg_index("rt_sigaction", "signum"), 0u);
  EXPECT_EQ(syscall_arg_index("pread64", "offset"), 3u);
  EXPECT_EQ(syscall_arg_index("newfstatat", "flags"), 3u);
  EXPECT_TRUE(syscall_arg_is_pointer("read", 1));
  EXPECT_FALSE(syscall_arg_is_pointer("read", 0));
  EXPECT_TRUE(syscall_arg_is_pointer("clone3", 0));
  EXPECT_TRUE(syscall_arg_is_pointer("mmap", 0));  // void addr[.length]
  EXPECT_FALSE(syscall_arg_is_pointer("socket", 0));
}

TEST(Conditions, ComparisonsAndConstants) {
  EXPECT_EQ(dnf_of("allow socket(domain == AF_INET)"), "a0==2");
  EXPECT_EQ(dnf_of("allow socket(type != SOCK_RAW)"), "a1!=3");
  EXPECT_EQ(dnf_of("allow socket(arg2 < 5)"), "a2<5");
  EXPECT_EQ(dnf_of("allow socket(arg2 <= 0x10)"), "a2<=10");
  EXPECT_EQ(dnf_of("allow socket(arg2 > 0b101)"), "a2>5");
  EXPECT_EQ(dnf_of("allow socket(arg2 >= 0o17)"), "a2>=f");
  EXPECT_EQ(dnf_of("allow mmap(prot == PROT_READ | PROT_WRITE)"), "a2==3");
  EXPECT_EQ(dnf_of("allow mmap(prot == (PROT_READ | PROT_EXEC) | PROT_WRITE)"), "a2==7");
  EXPECT_EQ(dnf_of("allow clone(flags & CLONE_NEWUSER == 0)"), "a0&10000000==0");
  EXPECT_EQ(dnf_of("allow kill(u32(sig) == 9)"), "u32:a1==9");
}

TEST(Conditions, InAndNotIn) {
  EXPECT_EQ(dnf_of("allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})"),
            "a0==1 | a0==2 | a0==a");
  EXPECT_EQ(dnf_of("allow socket(domain not in {AF_UNIX, AF_INET})"), "a0!=1 & a0!=2");
  EXPECT_EQ(dnf_of("allow socket(not domain in {1, 2})"), "a0!=1 & a0!=2");
  EXPECT_EQ(dnf_of("allow socket(not domain not in {1, 2})"), "a0==1 | a0==2");
}

TEST(Conditions, AndOrDistribute) {
  EXPECT_EQ(dnf_of("allow socket(domain == 1 and type == 2 or domain == 3)"),
            "a0==1 & a1==2 | a0==3");
  EXPECT_EQ(dnf_of("allow socket(domain in {1, 2} and type in {5, 6})"),
            "a0==1 & a1==5 | a0==1 & a1==6 | a0==2 & a1==5 | a0==2 & a1==6");
  EXPECT_EQ(dnf_of("allow socket((domain == 1 or domain == 2) and (type == 3))"),
            "a0==1 & a1==3 | a0==2 & a1==3");
}

TEST(Conditions, NotIsPushedInward) {
  EXPECT_EQ(dnf_of("allow socket(not domain == 1)"), "a0!=1");
  EXPECT_EQ(dnf_of("allow socket(not domain != 1)"), "a0==1");
  EXPECT_EQ(dnf_of("allow socket(not domain < 1)"), "a0>=1");
  EXPECT_EQ(dnf_of("allow socket(not domain >= 1)"), "a0<1");
  EXPECT_EQ(dnf_of("allow socket(not domain <= 1)"), "a0>1");
  EXPECT_EQ(dnf_of("allow socket(not domain > 1)"), "a0<=1");
  EXPECT_EQ(dnf_of("allow socket(not (domain == 1 and type == 2))"), "a0!=1 | a1!=2");
  EXPECT_EQ(dnf_of("allow socket(not (domain == 1 or type == 2))"), "a0!=1 & a1!=2");
  EXPECT_EQ(dnf_of("allow socket(not not domain == 1)"), "a0==1");
}

TEST(Conditions, NegatedMaskedEqualityIsExact) {
  // not (x & 0b110 == 0b010): x differs from 010 in bit 1 or in bit 2.
  EXPECT_EQ(dnf_of("allow socket(not (domain & 6 == 2))"), "a0&2==0 | a0&4==4");
  EXPECT_EQ(dnf_of("allow clone(not flags & CLONE_NEWNS|CLONE_NEWPID == 0)"),
            "a0&20000==20000 | a0&20000000==20000000");
  // A value with bits outside the mask never matches; its negation always does.
  EXPECT_EQ(dnf_of("allow socket(domain & 1 == 2 or type == 1)"), "a1==1");
  EXPECT_EQ(dnf_of("allow socket(not domain & 1 == 2)"), "");  // unconditional
}

TEST(Conditions, ConditionThatNeverHolds) {
  auto c = compile("policy p { syscalls {\n allow socket(domain & 1 == 2)\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:15: error: the argument condition can never hold\n"
            " allow socket(domain & 1 == 2)\n"
            "              ^\n");
}

TEST(Conditions, UnknownArgumentSuggests) {
  auto c = compile("policy p { syscalls {\n allow socket(domian == AF_INET)\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:15: error: 'domian' is not an argument of 'socket'; did you mean "
            "'domain'?\n"
            " allow socket(domian == AF_INET)\n"
            "              ^\n");
}

TEST(Conditions, UnknownConstantSuggests) {
  auto c = compile("policy p { syscalls {\n allow socket(domain == AF_INTE)\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:25: error: unknown constant 'AF_INTE'; did you mean 'AF_INET'?\n"
            " allow socket(domain == AF_INTE)\n"
            "                        ^\n");
}

TEST(Conditions, U32ValueMustFit) {
  auto c = compile("policy p { syscalls {\n allow kill(u32(sig) == 0x100000000)\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:25: error: value does not fit in the 32 bits that u32(...) compares\n"
            " allow kill(u32(sig) == 0x100000000)\n"
            "                        ^\n");
}

TEST(Conditions, PointerArgumentWarns) {
  auto c = compile("policy p { syscalls {\n allow read(buf == 0)\n} }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:13: warning: argument 'buf' of 'read' is a pointer: seccomp compares the "
            "address, not the data it points to [-Wpointer-argument]\n"
            " allow read(buf == 0)\n"
            "            ^\n");
}

TEST(Conditions, PositionalPointerArgumentDoesNotWarn) {
  // clone's arg1 is the stack on x86-64 but the flags on s390: by position, no prototype applies.
  auto c = compile("policy p { syscalls {\n allow clone(arg1 == 0)\n allow prctl(arg2 == 1)\n} }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics, "");
  EXPECT_EQ(c.policy->seccomp.rules[1].args[0][0].arg, 1u);  // prctl's own name for argument 1
}

TEST(Conditions, SameConditionTwoActionsConflicts) {
  auto c = compile(
      "policy p { syscalls {\n allow socket(domain in {1, 2})\n kill socket(domain == 2 or domain "
      "== 1)\n allow socket(domain == 3)\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_NE(c.diagnostics.find("test.pol:3:7: error: conflicting actions for 'socket': "
                               "kill-process and allow\n"),
            std::string::npos)
      << c.diagnostics;
}

}  // namespace
}  // namespace policy
