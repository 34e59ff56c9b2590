// Every shipped policy compiles for Landlock at every ABI, and the coverage accounts for every
// rule of the policy, each not-enforced or partial one with its reason.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "compiler/frontend/frontend.hpp"
#include "compiler/landlock/abi.hpp"
#include "compiler/landlock/ruleset.hpp"

namespace policy {
namespace {

TEST(LandlockPolicies, CoverageAccountsForEveryRuleOfEveryShippedPolicy) {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  std::string dir = std::string(src ? src : "/work/main") + "/policies";
  int checked = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".pol") continue;
    DiagnosticEngine d;
    auto p = frontend::load_policy_file(e.path().string(), {}, d);
    if (!p) {
      std::ostringstream os;
      d.print_all(os);
      ADD_FAILURE() << e.path() << " does not compile:\n" << os.str();
      continue;
    }
    const auto& fs = p->filesystem;
    const auto& net = p->network;
    size_t rules = fs.rules.size() + fs.mount_rules.size() + fs.signal_rules.size() +
                   fs.ptrace_rules.size() + net.sockets.size() + net.ports.size() +
                   (fs.allow_all_files ? 1 : 0) + (net.scope_abstract_unix ? 1 : 0) +
                   (net.scope_signals ? 1 : 0);
    for (int abi = 1; abi <= landlock::kLatestKnownAbi; ++abi) {
      auto rs = landlock::compile_ruleset(*p, abi);
      EXPECT_EQ(rs.coverage.size(), rules) << e.path() << " ABI " << abi;
      for (auto& c : rs.coverage) {
        if (c.status != Enforcement::Enforced) {
          EXPECT_FALSE(c.reason.empty()) << e.path() << ": " << c.rule << " has no reason";
        }
      }
      for (auto& g : rs.paths) {
        EXPECT_EQ(g.access & ~landlock::fs_rights(abi), 0u) << g.path;
        EXPECT_EQ(g.path.front(), '/') << g.path;
      }
      EXPECT_EQ(rs.handled_net != 0, abi >= 4 && !net.ports.empty()) << e.path() << " " << abi;
    }
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace policy
