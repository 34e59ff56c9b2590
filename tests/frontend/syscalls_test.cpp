// Syscall rules: actions, targets, groups, gates, conflicts and the headline diagnostics.
#include <gtest/gtest.h>

#include <cerrno>

#include "compiler/common/names.hpp"
#include "compiler/ir/describe.hpp"
#include "tests/frontend/test_util.hpp"

namespace policy {
namespace {

using test::arch;
using test::compile;
using test::compile_with;

const ir::SyscallRule* find_rule(const ir::Policy& p, const std::string& sc) {
  for (const auto& r : p.seccomp.rules)
    if (r.syscall == sc) return &r;
  return nullptr;
}

TEST(Syscalls, ActionsAndDefault) {
  auto c = compile(R"(
policy p {
  syscalls default kill {
    allow read, write
    errno(ENOSYS) clone3
    errno(13) chmod
    kill-thread ptrace
    kill-process process_vm_readv
    trap(7) uselib
    log acct
    trace(42) kexec_load
    user-notify mount
  }
}
)");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics, "");
  const ir::Policy& p = *c.policy;
  EXPECT_EQ(p.seccomp.default_action, (ir::Action{ir::ActionKind::KillProcess, 0}));
  ASSERT_EQ(p.seccomp.rules.size(), 10u);
  EXPECT_EQ(find_rule(p, "read")->action, (ir::Action{ir::ActionKind::Allow, 0}));
  EXPECT_EQ(find_rule(p, "clone3")->action, (ir::Action{ir::ActionKind::Errno, ENOSYS}));
  EXPECT_EQ(find_rule(p, "chmod")->action, (ir::Action{ir::ActionKind::Errno, 13}));
  EXPECT_EQ(find_rule(p, "ptrace")->action, (ir::Action{ir::ActionKind::KillThread, 0}));
  EXPECT_EQ(find_rule(p, "process_vm_readv")->action, (ir::Action{ir::ActionKind::KillProcess, 0}));
  EXPECT_EQ(find_rule(p, "uselib")->action, (ir::Action{ir::ActionKind::Trap, 7}));
  EXPECT_EQ(find_rule(p, "acct")->action, (ir::Action{ir::ActionKind::Log, 0}));
  EXPECT_EQ(find_rule(p, "kexec_load")->action, (ir::Action{ir::ActionKind::Trace, 42}));
  EXPECT_EQ(find_rule(p, "mount")->action, (ir::Action{ir::ActionKind::UserNotify, 0}));
  EXPECT_EQ(find_rule(p, "read")->loc.line, 4u);
  EXPECT_EQ(find_rule(p, "read")->loc.column, 11u);
  EXPECT_EQ(p.seccomp.arches, std::vector<uint32_t>{arch("x86_64")});
}

TEST(Syscalls, DefaultIsEperm) {
  auto c = compile("policy p { syscalls { allow read } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->seccomp.default_action, (ir::Action{ir::ActionKind::Errno, EPERM}));
}

TEST(Syscalls, UnknownSyscallSuggests) {
  auto c = compile("# web\npolicy web {\n  syscalls {\n    allow read, opn\n  }\n}\n");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:4:17: error: unknown syscall 'opn'; did you mean 'open'?\n"
            "    allow read, opn\n"
            "                ^\n");
}

TEST(Syscalls, HeadlineTypoInWebPol) {
  auto c = test::compile_with("policy web {\n  syscalls {\n    allow opn\n  }\n}\n",
                              test::options(), "web.pol");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.diagnostics,
            "web.pol:3:11: error: unknown syscall 'opn'; did you mean 'open'?\n"
            "    allow opn\n"
            "          ^\n");
}

TEST(Syscalls, UnknownErrnoAndArch) {
  auto c = compile(
      "policy p { syscalls arch x86_46 {\n errno(EPRM) read\n allow write when arch aarch46\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:1:26: error: unknown architecture 'x86_46'; did you mean 'x86_64'?\n"
            "policy p { syscalls arch x86_46 {\n"
            "                         ^\n"
            "test.pol:2:8: error: unknown errno name 'EPRM'; did you mean 'EPERM'?\n"
            " errno(EPRM) read\n"
            "       ^\n"
            "test.pol:3:24: error: unknown architecture 'aarch46'; did you mean 'aarch64'?\n"
            " allow write when arch aarch46\n"
            "                       ^\n");
}

TEST(Syscalls, SectionArchesAndOptionOverride) {
  std::string text = "policy p { syscalls arch aarch64, arm { allow read } }";
  frontend::LoadOptions o = test::options();
  o.arches.clear();
  auto c = compile_with(text, o);
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->seccomp.arches, (std::vector<uint32_t>{arch("aarch64"), arch("arm")}));
  auto d = compile(text);  // options() forces x86_64
  ASSERT_TRUE(d.policy) << d.diagnostics;
  EXPECT_EQ(d.policy->seccomp.arches, std::vector<uint32_t>{arch("x86_64")});
  o.arches.clear();
  auto e = compile_with("policy p { syscalls { allow read } }", o);
  ASSERT_TRUE(e.policy);
  EXPECT_EQ(e.policy->seccomp.arches, names::default_target_arches());
}

TEST(Syscalls, ConflictingActionsIsAnError) {
  auto c = compile("policy p {\n  syscalls {\n    allow read\n    kill read\n  }\n}\n");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:4:10: error: conflicting actions for 'read': kill-process and allow\n"
            "    kill read\n"
            "         ^\n"
            "test.pol:3:11: note: previous rule for 'read' is here\n"
            "    allow read\n"
            "          ^\n");
}

// ir::describe writes each action in words the language reads back as that same action.
TEST(Syscalls, DescribedActionsReadBack) {
  using K = ir::ActionKind;
  const ir::Action actions[] = {{K::Allow, 0},    {K::Errno, EPERM},   {K::Errno, 0},
                                {K::Errno, 4095}, {K::KillProcess, 0}, {K::KillThread, 0},
                                {K::Trap, 0},     {K::Trap, 3},        {K::Log, 0},
                                {K::Trace, 7},    {K::UserNotify, 0}};
  for (const ir::Action& a : actions) {
    std::string text = "policy p { syscalls default " + ir::describe(a) + " {\n allow write\n " +
                       ir::describe(a) + " read\n} }";
    auto c = compile(text);
    ASSERT_TRUE(c.policy) << text << "\n" << c.diagnostics;
    EXPECT_EQ(c.policy->seccomp.default_action, a) << text;
    ASSERT_NE(find_rule(*c.policy, "read"), nullptr) << text;
    EXPECT_EQ(find_rule(*c.policy, "read")->action, a) << text;
  }
}

// The message names each action as the language writes it, data included: trap(1) and trap(2)
// are different actions, and a message that said "trap and trap" would not say why they conflict.
TEST(Syscalls, ConflictingActionsAreNamedWithTheirData) {
  auto c = compile("policy p {\n  syscalls {\n    trap(1) read\n    trap(2) read\n  }\n}\n");
  EXPECT_FALSE(c.policy);
  EXPECT_NE(c.diagnostics.find("test.pol:4:13: error: conflicting actions for 'read': trap(2) and "
                               "trap(1)\n"),
            std::string::npos)
      << c.diagnostics;
}

TEST(Syscalls, DuplicateRuleWarns) {
  auto c = compile("policy p { syscalls {\n allow read\n allow read\n} }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->seccomp.rules.size(), 1u);
  EXPECT_EQ(c.diagnostics,
            "test.pol:3:8: warning: rule for 'read' repeats an earlier rule [-Wshadowed-rule]\n"
            " allow read\n"
            "       ^\n"
            "test.pol:2:8: note: previous rule for 'read' is here\n"
            " allow read\n"
            "       ^\n");
}

TEST(Syscalls, ConditionalShadowedByUnconditionalWarns) {
  auto c = compile(
      "policy p { syscalls {\n allow socket(domain == AF_INET)\n allow socket\n errno(EPERM) "
      "personality(persona == 1)\n allow personality\n} }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.warnings, 1u);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:8: warning: conditional rule for 'socket' never decides: an unconditional "
            "rule with the same action exists [-Wshadowed-rule]\n"
            " allow socket(domain == AF_INET)\n"
            "       ^\n"
            "test.pol:3:8: note: unconditional rule for 'socket' is here\n"
            " allow socket\n"
            "       ^\n");
}

TEST(Syscalls, GroupsExpandWithViaChain) {
  auto c = compile(R"(
group @io { read, write; @event }
policy p { syscalls { allow @io, @net } }
group @event { epoll_wait
  poll }
group @net { socket @io }
)");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics, "");
  const ir::Policy& p = *c.policy;
  ASSERT_EQ(p.seccomp.rules.size(), 5u);
  EXPECT_EQ(find_rule(p, "read")->via, "@io");
  EXPECT_EQ(find_rule(p, "poll")->via, "@io > @event");
  EXPECT_EQ(find_rule(p, "socket")->via, "@net");
  EXPECT_EQ(find_rule(p, "read")->loc.line, 3u);
  EXPECT_EQ(find_rule(p, "read")->loc.column, 29u);
}

TEST(Syscalls, GroupCycleAndUnknownGroup) {
  auto c = compile("group @a { read @b }\ngroup @b { @a }\npolicy p { syscalls { allow @a } }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:1:7: error: group '@a' contains itself (@a > @b > @a)\n"
            "group @a { read @b }\n"
            "      ^\n");
  auto d = compile("group @files { read }\npolicy p { syscalls { allow @file } }");
  EXPECT_FALSE(d.policy);
  EXPECT_EQ(d.diagnostics,
            "test.pol:2:29: error: unknown group '@file'; did you mean '@files'?\n"
            "policy p { syscalls { allow @file } }\n"
            "                            ^\n");
  auto e = compile("group @g { read, wrte }\npolicy p { syscalls { allow read } }");
  EXPECT_FALSE(e.policy);
  EXPECT_EQ(e.diagnostics,
            "test.pol:1:18: error: unknown syscall 'wrte'; did you mean 'write'?\n"
            "group @g { read, wrte }\n"
            "                 ^\n");
}

TEST(Syscalls, DirectRuleOverridesGroupMember) {
  auto c =
      compile("group @g { read, ptrace }\npolicy p { syscalls {\n allow @g\n kill ptrace\n} }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics, "");
  EXPECT_EQ(find_rule(*c.policy, "ptrace")->action, (ir::Action{ir::ActionKind::KillProcess, 0}));
  EXPECT_EQ(find_rule(*c.policy, "ptrace")->via, "");
  EXPECT_EQ(c.policy->seccomp.rules.size(), 2u);
}

TEST(Syscalls, TwoGroupsConflict) {
  auto c = compile(
      "group @a { read }\ngroup @b { read }\npolicy p { syscalls {\n allow @a\n kill @b\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:5:7: error: conflicting actions for 'read': kill-process (via @b) and allow "
            "(via @a)\n"
            " kill @b\n"
            "      ^\n"
            "test.pol:4:8: note: previous rule for 'read' is here\n"
            " allow @a\n"
            "       ^\n");
}

TEST(Syscalls, CapabilityGates) {
  auto c = compile(R"(policy p {
  capabilities keep { SYS_ADMIN }
  syscalls {
    allow bpf when capability SYS_ADMIN
    allow setns when not capability SYS_ADMIN
    allow reboot when capability SYS_BOOT
  }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const ir::Policy& p = *c.policy;
  ASSERT_EQ(p.seccomp.rules.size(), 1u);
  EXPECT_EQ(p.seccomp.rules[0].syscall, "bpf");
  EXPECT_EQ(p.seccomp.rules[0].requires_caps, std::vector<std::string>{"CAP_SYS_ADMIN"});
  ASSERT_EQ(p.seccomp.inactive_rules.size(), 2u);
  EXPECT_EQ(p.seccomp.inactive_rules[0].syscall, "setns");
  EXPECT_EQ(p.seccomp.inactive_rules[0].unless_caps, std::vector<std::string>{"CAP_SYS_ADMIN"});
  EXPECT_EQ(p.seccomp.inactive_rules[1].syscall, "reboot");
  EXPECT_EQ(c.diagnostics,
            "test.pol:6:23: warning: rule is inactive: CAP_SYS_BOOT is not kept by this policy "
            "[-Wcapability-dropped]\n"
            "    allow reboot when capability SYS_BOOT\n"
            "                      ^\n");
}

TEST(Syscalls, CapabilityGateInBaseDoesNotWarn) {
  auto c = compile(
      "policy base { syscalls { allow reboot when capability SYS_BOOT } }\n"
      "policy p extends base { syscalls { allow read } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics, "");
  EXPECT_EQ(c.policy->seccomp.inactive_rules.size(), 1u);
}

TEST(Syscalls, ArchAndKernelGates) {
  auto c = compile(R"(policy p { syscalls {
  allow arch_prctl when arch x86_64, x32
  allow modify_ldt when not arch x86
  allow pidfd_open when kernel >= 5.3
  allow futex_waitv when kernel >= 6.7
  allow close_range when kernel >= 5.3 and arch x86_64
} })");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const ir::Policy& p = *c.policy;
  auto* ap = find_rule(p, "arch_prctl");
  ASSERT_TRUE(ap);
  EXPECT_EQ(ap->arches, (std::vector<uint32_t>{arch("x86_64"), arch("x32")}));
  EXPECT_EQ(find_rule(p, "modify_ldt")->not_arches, std::vector<uint32_t>{arch("x86")});
  auto* po = find_rule(p, "pidfd_open");
  ASSERT_TRUE(po);
  EXPECT_EQ(po->min_kernel, (ir::KernelVersion{5, 3}));
  EXPECT_FALSE(find_rule(p, "futex_waitv"));  // target kernel 6.1 < 6.7
  ASSERT_EQ(p.seccomp.inactive_rules.size(), 1u);
  EXPECT_EQ(p.seccomp.inactive_rules[0].syscall, "futex_waitv");
  EXPECT_EQ(p.seccomp.target_kernel, (ir::KernelVersion{6, 1}));
}

TEST(Syscalls, MissingOnArchWarnsOnlyForDirectNames) {
  frontend::LoadOptions o = test::options();
  o.arches = {arch("x86_64"), arch("x86")};
  auto c = compile_with(R"(group @g { _llseek }
policy p { syscalls {
  allow _llseek
  allow @g
  allow socketcall when arch x86
  allow socket, shmget
  allow read
} })",
                        o);
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics,
            "test.pol:3:9: warning: syscall '_llseek' does not exist on x86_64; the rule is "
            "skipped there [-Wsyscall-missing-on-arch]\n"
            "  allow _llseek\n"
            "        ^\n");
}

TEST(Syscalls, UnknownCapabilityInGate) {
  auto c = compile("policy p { syscalls { allow bpf when capability SYS_ADMN } }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:1:49: error: unknown capability 'SYS_ADMN'; did you mean 'SYS_ADMIN'?\n"
            "policy p { syscalls { allow bpf when capability SYS_ADMN } }\n"
            "                                                ^\n");
}

}  // namespace
}  // namespace policy

namespace policy {
namespace {

TEST(Syscalls, OutOfRangeValuesAndUnsupportedGate) {
  auto c = test::compile(
      "policy p { syscalls {\n errno(5000) read\n trap(70000) write\n allow bpf when not kernel >= "
      "5.8\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:8: error: errno value '5000' is out of range (0..4095)\n"
            " errno(5000) read\n"
            "       ^\n"
            "test.pol:3:7: error: '70000' is out of range (0..65535)\n"
            " trap(70000) write\n"
            "      ^\n"
            "test.pol:4:17: error: 'when not kernel' is not supported; write the rule for the "
            "kernels that have the feature ('when kernel >= X.Y')\n"
            " allow bpf when not kernel >= 5.8\n"
            "                ^\n");
}

TEST(Syscalls, ConditionTooComplex) {
  std::string cond;
  for (int i = 0; i < 11; ++i)
    cond += (i ? " and " : "") + std::string("arg0 in {") + std::to_string(2 * i) + ", " +
            std::to_string(2 * i + 1) + "}";
  auto c = test::compile("policy p { syscalls {\n allow socket(" + cond + ")\n} }");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics.substr(0, c.diagnostics.find('\n')),
            "test.pol:2:15: error: the argument condition has more than 1024 alternatives in "
            "normal form; split it into several rules");
}

TEST(Syscalls, DiamondExtendsAppliesTheSharedBaseOnce) {
  auto c = test::compile(R"(
policy base { syscalls { allow read } }
policy a extends base { syscalls { allow write } }
policy b extends base { syscalls { allow close } }
policy c extends a, b { }
)");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.diagnostics, "");
  EXPECT_EQ(c.policy->bases, (std::vector<std::string>{"b", "a", "base"}));
  ASSERT_EQ(c.policy->seccomp.rules.size(), 3u);
  EXPECT_EQ(c.policy->seccomp.rules[0].syscall, "read");
  EXPECT_EQ(c.policy->seccomp.rules[1].syscall, "write");
  EXPECT_EQ(c.policy->seccomp.rules[2].syscall, "close");
}

TEST(Syscalls, EffectiveMustBePermitted) {
  auto c = test::compile(
      "policy p {\n capabilities { permitted { CHOWN } effective { CHOWN, KILL } }\n}");
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics,
            "test.pol:2:2: error: the effective set must be part of the permitted set; not "
            "permitted: CAP_KILL\n"
            " capabilities { permitted { CHOWN } effective { CHOWN, KILL } }\n"
            " ^\n");
}

}  // namespace
}  // namespace policy

namespace policy {
namespace {

TEST(Syscalls, SeveralCapabilityGatedRulesGiveOneWarning) {
  auto c = compile(
      "policy p {\n"
      "  syscalls {\n"
      "    allow reboot when capability SYS_BOOT\n"
      "    allow mount when capability SYS_ADMIN\n"
      "    allow umount2 when capability SYS_ADMIN\n"
      "  }\n"
      "}\n");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->seccomp.inactive_rules.size(), 3u);
  EXPECT_EQ(c.diagnostics,
            "test.pol:3:23: warning: 3 rules are inactive: this policy does not keep CAP_SYS_BOOT, "
            "CAP_SYS_ADMIN (the first such rule is here) [-Wcapability-dropped]\n"
            "    allow reboot when capability SYS_BOOT\n"
            "                      ^\n"
            "test.pol:2:3: warning: the seccomp filter allows no system call (default "
            "errno(EPERM)): it is installed just before execve, which it refuses, so the command "
            "never starts and the launch dies at its next system call; allow the calls the "
            "program needs [-Wall-syscalls-refused]\n"
            "  syscalls {\n"
            "  ^\n");
}

}  // namespace
}  // namespace policy
