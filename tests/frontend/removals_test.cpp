// `-X`: a derived policy takes away what its bases grant (docs/language.md, "Removals"): each kind
// of removal, what it leaves, its errors (nothing to remove, added and removed in one section,
// unknown names) at the '-', and removals in a base that is itself extended.
#include <gtest/gtest.h>

#include <algorithm>

#include "compiler/common/names.hpp"
#include "tests/frontend/test_util.hpp"

namespace policy::test {
namespace {

bool has_rule(const std::vector<ir::SyscallRule>& rules, const std::string& syscall) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const ir::SyscallRule& r) { return r.syscall == syscall; });
}

int cap(const char* name) {
  return *names::capability_number(name);
}

// The error of `text` (which must fail), rendered as policyc prints it.
std::string error_of(const std::string& text) {
  auto c = compile(text);
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.errors, 1u) << c.diagnostics;
  return c.diagnostics;
}

const char* kBase = R"(group @dbg { ptrace, process_vm_readv }
policy base {
  syscalls default errno(EPERM) {
    allow read, write, @dbg
    allow personality(persona == 0)
    allow bpf when capability SYS_ADMIN
    kill kexec_load
  }
  capabilities { keep { CHOWN, NET_RAW, KILL }; inheritable { NET_RAW }; ambient { NET_RAW } }
  namespaces { mount, pid, net, ipc }
  rootfs { tmpfs /tmp size=64M; bind /srv /data ro; masked /proc/kcore; readonly-paths /proc/sys }
  filesystem { read /data/**; deny write /data/**; read+write /tmp/** }
}
)";

TEST(Removals, SyscallsGoWithEveryConditionAndGroup) {
  auto c = compile(std::string(kBase) + R"(policy p extends base {
  syscalls { -personality, -@dbg
             -bpf }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const ir::SeccompPolicy& sc = c.policy->seccomp;
  EXPECT_TRUE(has_rule(sc.rules, "read"));
  EXPECT_TRUE(has_rule(sc.rules, "kexec_load"));  // a refusing rule is no grant: it stays
  for (const char* gone : {"personality", "ptrace", "process_vm_readv"})
    EXPECT_FALSE(has_rule(sc.rules, gone)) << gone;
  EXPECT_FALSE(has_rule(sc.inactive_rules, "bpf"));  // the gated rule goes too
  // Each removed syscall is recorded at its '-' (the reports show it there).
  const ir::Removal* r = c.policy->removal("syscalls", "ptrace");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->loc.str(), "test.pol:15:28");
  EXPECT_EQ(c.policy->removal("syscalls", "personality")->loc.str(), "test.pol:15:14");
  EXPECT_EQ(c.policy->removal("syscalls", "bpf")->loc.str(), "test.pol:16:14");
}

TEST(Removals, ACapabilityLeavesEveryOneOfTheFiveSets) {
  auto c = compile(std::string(kBase) + "policy p extends base { capabilities { -NET_RAW } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const ir::CapabilitySets& s = c.policy->capabilities;
  const uint64_t bit = uint64_t{1} << cap("NET_RAW");
  for (uint64_t set : {s.bounding, s.permitted, s.effective, s.inheritable, s.ambient})
    EXPECT_EQ(set & bit, 0u);
  EXPECT_TRUE(s.has(cap("CHOWN")));
  EXPECT_TRUE(s.has(cap("KILL")));
  EXPECT_EQ(c.policy->removal("capabilities", "CAP_NET_RAW")->loc.str(), "test.pol:14:40");
  // With CAP_ and in any case, as everywhere else.
  auto d = compile(std::string(kBase) + "policy p extends base { capabilities { -cap_net_raw } }");
  ASSERT_TRUE(d.policy) << d.diagnostics;
  EXPECT_FALSE(d.policy->capabilities.has(cap("NET_RAW")));
}

TEST(Removals, ANamespaceBecomesTheHosts) {
  auto c = compile(std::string(kBase) + "policy p extends base { namespaces { -pid, -net } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const ir::NamespacePlan& plan = c.policy->namespaces;
  EXPECT_FALSE(plan.has(ir::NamespaceKind::Pid));
  EXPECT_FALSE(plan.has(ir::NamespaceKind::Net));
  EXPECT_TRUE(plan.has(ir::NamespaceKind::Mount));
  EXPECT_TRUE(plan.has(ir::NamespaceKind::Ipc));
  EXPECT_EQ(c.policy->removal("namespaces", "pid")->loc.str(), "test.pol:14:38");
}

TEST(Removals, AMountByItsTarget) {
  auto c = compile(std::string(kBase) +
                   "policy p extends base { rootfs { -/tmp; -/data/, -/proc/kcore -/proc/sys } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const ir::RootfsPlan& root = c.policy->rootfs;
  EXPECT_TRUE(root.mounts.empty());
  EXPECT_TRUE(root.masked_paths.empty());
  EXPECT_TRUE(root.readonly_paths.empty());
  EXPECT_NE(c.policy->removal("rootfs", "/data"), nullptr);
}

TEST(Removals, APathLosesItsAllowRulesButKeepsItsDenyRules) {
  auto c = compile(std::string(kBase) + "policy p extends base { filesystem { -/data/** } }");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& rules = c.policy->filesystem.rules;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_TRUE(rules[0].deny);
  EXPECT_EQ(rules[0].pattern, "/data/**");
  EXPECT_EQ(rules[1].pattern, "/tmp/**");
}

TEST(Removals, NothingToRemoveIsAnErrorWithDidYouMean) {
  const std::string base = kBase;
  EXPECT_EQ(error_of(base + "policy p extends base { capabilities { -NET_ADMIN } }"),
            "test.pol:14:40: error: '-NET_ADMIN' removes nothing: the bases of policy 'p' grant "
            "no capability 'NET_ADMIN'; remove the line\n"
            "policy p extends base { capabilities { -NET_ADMIN } }\n"
            "                                       ^\n");
  EXPECT_EQ(error_of(base + "policy p extends base { namespaces { -uts } }"),
            "test.pol:14:38: error: '-uts' removes nothing: the bases of policy 'p' grant no "
            "namespace 'uts'; remove the line\n"
            "policy p extends base { namespaces { -uts } }\n"
            "                                     ^\n");
  // A syscall that exists but that the bases do not grant: did you mean one they grant?
  EXPECT_EQ(error_of(base + "policy p extends base { syscalls { -writev } }"),
            "test.pol:14:36: error: '-writev' removes nothing: the bases of policy 'p' grant no "
            "syscall 'writev'; did you mean '-write'?\n"
            "policy p extends base { syscalls { -writev } }\n"
            "                                   ^\n");
  // A rule that refuses the call grants nothing to remove.
  EXPECT_NE(error_of(base + "policy p extends base { syscalls { -kexec_load } }")
                .find("'-kexec_load' removes nothing"),
            std::string::npos);
  EXPECT_NE(error_of(base + "policy p extends base { rootfs { -/tmpp } }")
                .find("grant no mount at '/tmpp'; did you mean '-/tmp'?"),
            std::string::npos);
  // Only allow rules are taken away: the base's deny rule is not a grant.
  EXPECT_NE(error_of("policy b { filesystem { deny write /x } }\n"
                     "policy p extends b { filesystem { -/x } }")
                .find("grant no access to '/x'"),
            std::string::npos);
  // Without bases there is nothing to remove.
  EXPECT_NE(error_of("policy p { namespaces { -pid } }").find("'-pid' removes nothing"),
            std::string::npos);
}

TEST(Removals, UnknownNamesGetTheUsualDidYouMean) {
  const std::string base = kBase;
  EXPECT_EQ(error_of(base + "policy p extends base { capabilities { -NET_RAWW } }"),
            "test.pol:14:41: error: unknown capability 'NET_RAWW'; did you mean 'NET_RAW'?\n"
            "policy p extends base { capabilities { -NET_RAWW } }\n"
            "                                        ^\n");
  EXPECT_EQ(error_of(base + "policy p extends base { syscalls { -ptrac } }"),
            "test.pol:14:37: error: unknown syscall 'ptrac'; did you mean 'ptrace'?\n"
            "policy p extends base { syscalls { -ptrac } }\n"
            "                                    ^\n");
  EXPECT_NE(error_of(base + "policy p extends base { syscalls { -@dgb } }")
                .find("unknown group '@dgb'; did you mean '@dbg'?"),
            std::string::npos);
  EXPECT_NE(error_of(base + "policy p extends base { namespaces { -pdi } }")
                .find("unknown namespace 'pdi'; did you mean 'pid'?"),
            std::string::npos);
}

TEST(Removals, AddingAndRemovingInOneSectionIsAnError) {
  const std::string base = kBase;
  EXPECT_EQ(error_of(base + "policy p extends base { capabilities { add { NET_RAW } -NET_RAW } }"),
            "test.pol:14:56: error: '-NET_RAW' and 'add' in the same section: a removal takes "
            "away only what the bases grant; keep one of the two\n"
            "policy p extends base { capabilities { add { NET_RAW } -NET_RAW } }\n"
            "                                                       ^\n"
            "test.pol:14:40: note: it is granted here\n"
            "policy p extends base { capabilities { add { NET_RAW } -NET_RAW } }\n"
            "                                       ^\n");
  EXPECT_NE(
      error_of(base + "policy p extends base { namespaces { pid join /proc/1/ns/pid; -pid } }")
          .find("'-pid' and 'pid' in the same section"),
      std::string::npos);
  EXPECT_NE(error_of(base + "policy p extends base { syscalls { allow ptrace -ptrace } }")
                .find("'-ptrace' and 'allow' rule in the same section"),
            std::string::npos);
  // Through a group, too.
  EXPECT_NE(error_of(base + "policy p extends base { syscalls { allow @dbg -ptrace } }")
                .find("'-ptrace' and 'allow' rule in the same section"),
            std::string::npos);
  EXPECT_NE(error_of(base + "policy p extends base { rootfs { tmpfs /tmp; -/tmp } }")
                .find("'-/tmp' and 'tmpfs' in the same section"),
            std::string::npos);
  EXPECT_NE(error_of(base + "policy p extends base { filesystem { read /data/**; -/data/** } }")
                .find("'-/data/**' and an allow rule for '/data/**' in the same section"),
            std::string::npos);
  // A conditional rule narrows what the removal took away: that is the idiom, not a conflict.
  auto c = compile(base + R"(policy p extends base {
  syscalls { -personality; allow personality(persona == 0x8) }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& rules = c.policy->seccomp.rules;
  auto it =
      std::find_if(rules.begin(), rules.end(), [](auto& r) { return r.syscall == "personality"; });
  ASSERT_NE(it, rules.end());
  EXPECT_EQ(it->loc.line, 15u);
  EXPECT_EQ(
      std::count_if(rules.begin(), rules.end(), [](auto& r) { return r.syscall == "personality"; }),
      1);
}

TEST(Removals, RemovingFromAnAllowingDefaultOrFromAllowAllRefusesNothing) {
  EXPECT_EQ(error_of("policy b { syscalls default allow { allow ptrace } }\n"
                     "policy p extends b { syscalls { -ptrace } }"),
            "test.pol:2:33: error: '-ptrace' refuses nothing: the default action is allow; "
            "refuse the calls with a rule instead, as in 'errno(EPERM) ptrace'\n"
            "policy p extends b { syscalls { -ptrace } }\n"
            "                                ^\n");
  EXPECT_NE(error_of("policy b { filesystem { allow all; read /x } }\n"
                     "policy p extends b { filesystem { -/x } }")
                .find("'-/x' refuses nothing: 'allow all' lets the process reach every file"),
            std::string::npos);
  EXPECT_NE(error_of("policy b { namespaces { mount, pid } }\n"
                     "policy p extends b { namespaces { -mount } }")
                .find("'-mount' is not possible"),
            std::string::npos);
}

TEST(Removals, ABaseThatRemovesIsExtendedWithItsRemovals) {
  auto c = compile_with(std::string(kBase) + R"(policy mid extends base {
  namespaces { -pid }
  capabilities { -NET_RAW }
  syscalls { -ptrace }
}
policy top extends mid { namespaces { uts } }
policy again extends mid { namespaces { pid } syscalls { allow ptrace } capabilities { add { NET_RAW } } }
)",
                        options());
  ASSERT_TRUE(c.policy) << c.diagnostics;  // `again`, the last policy of the file
  EXPECT_TRUE(c.policy->namespaces.has(ir::NamespaceKind::Pid));
  EXPECT_TRUE(has_rule(c.policy->seccomp.rules, "ptrace"));
  EXPECT_TRUE(c.policy->capabilities.has(cap("NET_RAW")));
  auto o = options();
  o.policy_name = "top";
  auto t = compile_with(std::string(kBase) + R"(policy mid extends base {
  namespaces { -pid }
  capabilities { -NET_RAW }
  syscalls { -ptrace }
}
policy top extends mid { namespaces { uts } }
)",
                        o);
  ASSERT_TRUE(t.policy) << t.diagnostics;
  EXPECT_FALSE(t.policy->namespaces.has(ir::NamespaceKind::Pid));
  EXPECT_TRUE(t.policy->namespaces.has(ir::NamespaceKind::Uts));
  EXPECT_FALSE(has_rule(t.policy->seccomp.rules, "ptrace"));
  EXPECT_TRUE(has_rule(t.policy->seccomp.rules, "process_vm_readv"));
  EXPECT_FALSE(t.policy->capabilities.has(cap("NET_RAW")));
  // The removal is recorded at mid's line, where it was written.
  EXPECT_EQ(t.policy->removal("namespaces", "pid")->loc.line, 15u);
  // Removing in `top` what `mid` already removed: nothing left to remove.
  auto u = compile_with(std::string(kBase) + R"(policy mid extends base { namespaces { -pid } }
policy top extends mid { namespaces { -pid } }
)",
                        o);
  EXPECT_NE(u.diagnostics.find("'-pid' removes nothing: the bases of policy 'top'"),
            std::string::npos)
      << u.diagnostics;
}

TEST(Removals, SyntaxErrorsSayWhatFollowsTheDash) {
  EXPECT_EQ(error_of("policy p { syscalls { - ptrace } }"),
            "test.pol:1:24: error: expected a syscall name or '@group' after '-', as in -ptrace\n"
            "policy p { syscalls { - ptrace } }\n"
            "                       ^\n");
  EXPECT_NE(error_of("policy p { syscalls { -ptrace, read } }")
                .find("expected another removal after ','"),
            std::string::npos);
  EXPECT_NE(error_of("policy p { capabilities { -1 } }")
                .find("expected a capability name after '-', as in -NET_RAW"),
            std::string::npos);
  EXPECT_NE(error_of("policy p { namespaces { -} }").find("expected a namespace after '-'"),
            std::string::npos);
  EXPECT_NE(error_of("policy p { rootfs { -tmp } }").find("expected the target of a mount"),
            std::string::npos);
  EXPECT_NE(error_of("policy p { filesystem { -etc } }").find("expected a path after '-'"),
            std::string::npos);
}

}  // namespace
}  // namespace policy::test
