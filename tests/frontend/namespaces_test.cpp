// The namespaces section's sharing forms: `KIND container NAME` and `KIND host`.
#include <gtest/gtest.h>

#include "tests/frontend/test_util.hpp"

namespace policy::test {
namespace {

using ir::NamespaceKind;

const ir::NamespaceSpec* find(const ir::NamespacePlan& plan, NamespaceKind kind) {
  for (const auto& n : plan.namespaces)
    if (n.kind == kind) return &n;
  return nullptr;
}

TEST(NamespacesSharing, ContainerKeepsTheNameForTheRuntime) {
  auto c = compile(R"(policy p {
  namespaces { mount, net container db, pid container db; ipc container web-1, uts container db_2 }
})");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& plan = c.policy->namespaces;
  ASSERT_EQ(plan.namespaces.size(), 5u);
  const ir::NamespaceSpec* net = find(plan, NamespaceKind::Net);
  ASSERT_NE(net, nullptr);
  EXPECT_EQ(net->container, "db");
  EXPECT_EQ(net->join_path, "");
  EXPECT_FALSE(net->creates());
  EXPECT_EQ(net->loc.line, 2u);
  EXPECT_EQ(find(plan, NamespaceKind::Ipc)->container, "web-1");
  EXPECT_EQ(find(plan, NamespaceKind::Uts)->container, "db_2");
  EXPECT_TRUE(find(plan, NamespaceKind::Mount)->creates());
}

TEST(NamespacesSharing, HostDropsTheInheritedNamespace) {
  auto c = compile(R"(policy base { namespaces { mount, pid, net, uts } }
policy p extends base { namespaces { pid host; net container db; uts host } })");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  const auto& plan = c.policy->namespaces;
  EXPECT_FALSE(plan.has(NamespaceKind::Pid));
  EXPECT_FALSE(plan.has(NamespaceKind::Uts));
  ASSERT_TRUE(plan.has(NamespaceKind::Net));
  EXPECT_EQ(find(plan, NamespaceKind::Net)->container, "db");
  // And back: a derived policy makes the shared one its own again.
  auto d = compile(R"(policy base { namespaces { net container db } }
policy p extends base { namespaces { net } })");
  ASSERT_TRUE(d.policy) << d.diagnostics;
  EXPECT_TRUE(find(d.policy->namespaces, NamespaceKind::Net)->creates());
}

TEST(NamespacesSharing, BadFormsAtTheirPlace) {
  EXPECT_EQ(compile("policy p { namespaces { net container } }").diagnostics,
            "test.pol:1:39: error: expected a container name after 'container', such as db\n"
            "policy p { namespaces { net container } }\n"
            "                                      ^\n");
  EXPECT_EQ(compile("policy p { namespaces { mount host } }").diagnostics,
            "test.pol:1:25: error: 'mount host' is not possible: policyrun builds the "
            "container's root in a mount namespace of its own; remove the line\n"
            "policy p { namespaces { mount host } }\n"
            "                        ^\n");
  EXPECT_EQ(compile("policy p { namespaces { cgroup container db } }").diagnostics,
            "test.pol:1:42: error: only the net, pid, ipc and uts namespaces of a container "
            "can be shared, not 'cgroup'\n"
            "policy p { namespaces { cgroup container db } }\n"
            "                                         ^\n");
  EXPECT_EQ(compile("policy p { namespaces { net container Db.1 } }").diagnostics,
            "test.pol:1:39: error: 'Db.1' is not a container name: names are made of a-z, 0-9, "
            "'_' and '-' (policyrun run --name)\n"
            "policy p { namespaces { net container Db.1 } }\n"
            "                                      ^\n");
}

TEST(NamespacesSharing, SysctlNeedsANamespaceOfItsOwn) {
  auto c = compile(R"(policy p {
  namespaces { mount, net container db }
  sysctl { net.ipv4.ip_forward 1 }
})");
  EXPECT_FALSE(c.policy);
  EXPECT_NE(c.diagnostics.find("sysctl 'net.ipv4.ip_forward' needs a new net namespace"),
            std::string::npos)
      << c.diagnostics;
}

}  // namespace
}  // namespace policy::test
