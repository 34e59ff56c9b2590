// A policy that takes away from docker-default (`-pid`, `-NET_RAW`, `-ptrace`; docs/language.md,
// "Removals"): what it compiles to (the runtime plan, the capability sets, the seccomp filter of
// both backends run over the call), and `policyc diff` showing each narrowing at the removal's
// own line rather than at docker-default's rule.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "compiler/common/names.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/driver/explain.hpp"
#include "compiler/driver/plan_json.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/review/delta.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy {
namespace {

std::string policies_dir() {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  return (src ? std::string(src)
              : std::filesystem::path(__FILE__)
                    .parent_path()
                    .parent_path()
                    .parent_path()
                    .string()) +
         "/policies";
}

const char* kDerived = R"(include "docker-default.pol"
policy x extends docker-default {
  namespaces { -pid }
  capabilities { -NET_RAW }
  syscalls { -ptrace }
}
)";

// policies/NAME (or `text` under that name: its includes come from the policy library), for a
// 6.1 kernel.
ir::Policy load(const std::string& name, const std::string& text = "") {
  frontend::LoadOptions o;
  o.include_dirs = {policies_dir()};
  o.kernel = ir::KernelVersion{6, 1};
  DiagnosticEngine diags;
  const std::string path = policies_dir() + "/" + name;
  auto p = text.empty() ? frontend::load_policy_file(path, o, diags)
                        : frontend::load_policy_text(path, text, o, diags);
  EXPECT_TRUE(p) << (diags.diagnostics().empty() ? "" : diags.render(diags.diagnostics()[0]));
  return p ? *p : ir::Policy{};
}

// The filter's verdict on syscall `name` from x86_64, compiled by `backend`.
uint32_t verdict(const ir::Policy& p, const char* name, driver::Backend backend) {
  driver::SeccompOptions so;
  so.backend = backend;
  so.kernel = ir::KernelVersion{6, 1};
  const seccomp::Program prog = driver::compile_seccomp(p.seccomp, so);
  const uint32_t x86_64 = *names::arch_token("x86_64");
  seccomp_data data{};
  data.nr = *names::syscall_number(name, x86_64);
  data.arch = seccomp::audit_arch(x86_64);
  return seccomp::run_filter(prog, data);
}

TEST(RemovalsCompiled, PlanCapabilitiesAndFilterLackWhatWasRemoved) {
  if (!names::arch_token("x86_64")) GTEST_SKIP() << "libseccomp without x86_64";
  const ir::Policy base = load("docker-default.pol");
  const ir::Policy x = load("x.pol", kDerived);
  // The runtime plan: docker-default's namespaces but pid.
  auto types = [](const ir::Policy& p) {
    std::vector<std::string> t;
    const nlohmann::json plan = driver::plan_to_json(p);
    for (const auto& n : plan["namespaces"]) t.push_back(n["type"]);
    return t;
  };
  const auto base_ns = types(base);
  EXPECT_NE(std::find(base_ns.begin(), base_ns.end(), "pid"), base_ns.end());
  EXPECT_EQ(types(x), (std::vector<std::string>{"mount", "ipc", "uts", "net"}));
  // The five capability sets: docker-default's 14 less NET_RAW (bit 13).
  const uint64_t net_raw = uint64_t{1} << *names::capability_number("NET_RAW");
  EXPECT_EQ(base.capabilities.bounding, 0xa80425fbULL);
  for (uint64_t set : {x.capabilities.bounding, x.capabilities.permitted, x.capabilities.effective})
    EXPECT_EQ(set, 0xa80425fbULL & ~net_raw);
  EXPECT_EQ(x.capabilities.inheritable | x.capabilities.ambient, 0u);
  // The filter: ptrace allowed by docker-default, refused (the default errno(EPERM)) by x, on
  // both backends; a call x did not touch stays allowed.
  for (auto backend : {driver::Backend::Optimizing, driver::Backend::LibseccompTree}) {
    SCOPED_TRACE(driver::backend_name(backend));
    EXPECT_EQ(verdict(base, "ptrace", backend), SECCOMP_RET_ALLOW);
    EXPECT_EQ(verdict(x, "ptrace", backend), SECCOMP_RET_ERRNO | EPERM);
    EXPECT_EQ(verdict(x, "read", backend), SECCOMP_RET_ALLOW);
  }
}

TEST(RemovalsCompiled, DiffShowsEachRemovalAtItsOwnLine) {
  if (!names::arch_token("x86_64")) GTEST_SKIP() << "libseccomp without x86_64";
  const ir::Policy base = load("docker-default.pol");
  const ir::Policy x = load("x.pol", kDerived);
  driver::SeccompOptions so;
  so.kernel = ir::KernelVersion{6, 1};
  const review::Delta d = review::diff_policies(base, x, so);
  auto find = [&](const std::string& category, const std::string& text) -> const review::Change* {
    for (const review::Change& c : d.changes)
      if (c.category == category && c.text.find(text) != std::string::npos) return &c;
    return nullptr;
  };
  const review::Change* pid = find("namespaces", "pid namespace: now the host's");
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(pid->direction, review::Direction::Widen);  // shared with the host
  EXPECT_EQ(pid->loc.file, policies_dir() + "/x.pol");
  EXPECT_EQ(pid->loc.line, 3u);
  EXPECT_FALSE(pid->removed);
  const review::Change* cap = find("capabilities", "CAP_NET_RAW removed");
  ASSERT_NE(cap, nullptr);
  EXPECT_EQ(cap->direction, review::Direction::Narrow);
  EXPECT_EQ(cap->loc.line, 4u);
  EXPECT_EQ(cap->loc.column, 18u);
  const review::Change* ptrace = find("syscalls", "ptrace");
  ASSERT_NE(ptrace, nullptr) << d.changes.size();
  EXPECT_EQ(ptrace->direction, review::Direction::Narrow);
  EXPECT_EQ(ptrace->loc.line, 5u);
  EXPECT_EQ(ptrace->loc.column, 14u);
  EXPECT_FALSE(ptrace->removed);
}

// `policyc explain x.pol ptrace`: the default decides, no rule of the base is named, and the
// removal is (explain's "removed:" line).
TEST(RemovalsCompiled, ExplainNamesTheRemoval) {
  if (!names::arch_token("x86_64")) GTEST_SKIP() << "libseccomp without x86_64";
  const ir::Policy x = load("x.pol", kDerived);
  driver::SeccompOptions so;
  so.kernel = ir::KernelVersion{6, 1};
  const driver::CallExplanation e =
      driver::explain_call(x, so, "ptrace", *names::arch_token("x86_64"), {});
  EXPECT_EQ(e.run.ret, SECCOMP_RET_ERRNO | EPERM);
  EXPECT_TRUE(e.rules.empty());
  EXPECT_TRUE(e.default_applies);
  ASSERT_NE(e.removal, nullptr);
  EXPECT_EQ(e.removal->loc.line, 5u);
  EXPECT_EQ(driver::explain_call(x, so, "read", std::nullopt, {}).removal, nullptr);
}

}  // namespace
}  // namespace policy
