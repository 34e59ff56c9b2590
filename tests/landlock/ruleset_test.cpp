// The Landlock backend as a pure function: how each IR rule maps to path-beneath, port and scope
// rules at a given ABI, and what it says about the rules it cannot express.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "compiler/landlock/abi.hpp"
#include "compiler/landlock/ruleset.hpp"

namespace policy {
namespace {

using landlock::compile_ruleset;
using landlock::pattern_base;

SourceLoc at(unsigned line) {
  return SourceLoc{"web.pol", line, 3};
}

ir::Policy web() {
  ir::Policy p;
  p.name = "web";
  auto& fs = p.filesystem;
  fs.specified = true;
  fs.rules.push_back({false, ir::kRead, "/etc/nginx/**", "", at(1)});
  fs.rules.push_back({false, ir::kWrite, "/var/log/nginx/**", "", at(2)});
  fs.rules.push_back({false, ir::kExec | ir::kRead | ir::kMap, "/usr/sbin/nginx", "", at(3)});
  fs.rules.push_back({false, ir::kRead, "/etc/*.conf", "", at(4)});
  fs.rules.push_back({true, ir::kWrite, "/var/log/nginx/secret/**", "", at(5)});
  fs.rules.push_back({true, ir::kWrite, "@{PROC}/sys/**", "", at(6)});
  p.network.specified = true;
  p.network.ports.push_back({false, ir::PortRule::Bind, "tcp", 80, 80, at(7)});
  p.network.ports.push_back({false, ir::PortRule::Bind, "tcp", 8000, 8080, at(7)});
  return p;
}

const RuleCoverage& find(const std::vector<RuleCoverage>& cov, unsigned line) {
  for (auto& c : cov)
    if (c.loc.line == line) return c;
  static RuleCoverage none;
  ADD_FAILURE() << "no coverage entry for line " << line;
  return none;
}

TEST(LandlockPattern, BaseDirectoriesOfPatterns) {
  EXPECT_EQ(pattern_base("/etc/nginx/**").path, "/etc/nginx");
  EXPECT_TRUE(pattern_base("/etc/nginx/**").exact);
  EXPECT_EQ(pattern_base("/**").path, "/");
  EXPECT_TRUE(pattern_base("/**").exact);
  EXPECT_EQ(pattern_base("/usr/sbin/nginx").path, "/usr/sbin/nginx");
  EXPECT_TRUE(pattern_base("/usr/sbin/nginx").exact);
  EXPECT_EQ(pattern_base("/srv/data/").path, "/srv/data");
  EXPECT_EQ(pattern_base("/etc/*.conf").path, "/etc");
  EXPECT_FALSE(pattern_base("/etc/*.conf").exact);
  EXPECT_EQ(pattern_base("/var/lib/*/cache/**").path, "/var/lib");
  EXPECT_FALSE(pattern_base("/var/lib/*/cache/**").exact);
  EXPECT_EQ(pattern_base("@{PROC}/sys/**").path, "/proc/sys");
  EXPECT_EQ(pattern_base("/*").path, "/");
  EXPECT_FALSE(pattern_base("/*").exact);
}

TEST(LandlockRuleset, PathRulesBecomePathBeneathGrants) {
  auto rs = compile_ruleset(web(), 7);
  EXPECT_EQ(rs.handled_fs, landlock::fs_rights(7));
  ASSERT_EQ(rs.paths.size(), 4u);
  EXPECT_EQ(rs.paths[0].path, "/etc/nginx");
  EXPECT_EQ(rs.paths[0].access, LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                                    LANDLOCK_ACCESS_FS_IOCTL_DEV);
  EXPECT_EQ(rs.paths[1].path, "/var/log/nginx");
  EXPECT_TRUE(rs.paths[1].access & LANDLOCK_ACCESS_FS_WRITE_FILE);
  EXPECT_TRUE(rs.paths[1].access & LANDLOCK_ACCESS_FS_MAKE_REG);
  EXPECT_TRUE(rs.paths[1].access & LANDLOCK_ACCESS_FS_TRUNCATE);
  EXPECT_FALSE(rs.paths[1].access & LANDLOCK_ACCESS_FS_READ_FILE);
  EXPECT_EQ(rs.paths[2].path, "/usr/sbin/nginx");
  EXPECT_TRUE(rs.paths[2].access & LANDLOCK_ACCESS_FS_EXECUTE);
  EXPECT_EQ(rs.paths[3].path, "/etc");  // widened
}

TEST(LandlockRuleset, OlderAbisHandleFewerRights) {
  EXPECT_EQ(compile_ruleset(web(), 1).handled_fs, (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1);
  EXPECT_FALSE(compile_ruleset(web(), 2).handled_fs & LANDLOCK_ACCESS_FS_TRUNCATE);
  EXPECT_TRUE(compile_ruleset(web(), 3).handled_fs & LANDLOCK_ACCESS_FS_TRUNCATE);
  EXPECT_FALSE(compile_ruleset(web(), 4).handled_fs & LANDLOCK_ACCESS_FS_IOCTL_DEV);
  EXPECT_TRUE(compile_ruleset(web(), 5).handled_fs & LANDLOCK_ACCESS_FS_IOCTL_DEV);
  // grants never carry rights the ABI does not handle
  for (int abi = 1; abi <= 7; ++abi)
    for (auto& g : compile_ruleset(web(), abi).paths)
      EXPECT_EQ(g.access & ~landlock::fs_rights(abi), 0u) << abi;
}

TEST(LandlockCoverage, NamesTheLossyCases) {
  auto cov = landlock::landlock_coverage(web(), 7);
  EXPECT_EQ(find(cov, 1).status, Enforcement::Enforced);
  // map on the binary: Landlock does not mediate mmap
  EXPECT_EQ(find(cov, 3).status, Enforcement::Partial);
  EXPECT_NE(find(cov, 3).reason.find("mmap"), std::string::npos);
  // glob widened to its directory
  EXPECT_EQ(find(cov, 4).status, Enforcement::Partial);
  EXPECT_NE(find(cov, 4).reason.find("cannot match globs: grants read on all of /etc"),
            std::string::npos)
      << find(cov, 4).reason;
  // deny inside an allowed tree: Landlock is allow-only
  EXPECT_EQ(find(cov, 5).status, Enforcement::NotEnforced);
  EXPECT_NE(
      find(cov, 5).reason.find("allow-only: /var/log/nginx/secret lies inside /var/log/nginx"),
      std::string::npos)
      << find(cov, 5).reason;
  // deny that no allow reaches: Landlock's default denial enforces it
  EXPECT_EQ(find(cov, 6).status, Enforcement::Enforced);
  EXPECT_EQ(find(cov, 7).status, Enforcement::Enforced);
  for (auto& c : cov) EXPECT_EQ(c.layer, "landlock");
}

TEST(LandlockCoverage, RulesTheAbiLacks) {
  ir::Policy p = web();
  p.network.scope_abstract_unix = true;
  auto cov3 = landlock::landlock_coverage(p, 3);
  EXPECT_EQ(find(cov3, 7).status, Enforcement::NotEnforced);
  EXPECT_NE(find(cov3, 7).reason.find("needs Landlock ABI 4 (Linux 6.7); compiled for ABI 3"),
            std::string::npos)
      << find(cov3, 7).reason;
  auto rs5 = compile_ruleset(p, 5);
  EXPECT_EQ(rs5.scoped, 0u);
  EXPECT_EQ(rs5.coverage.back().status, Enforcement::NotEnforced);
  auto rs6 = compile_ruleset(p, 6);
  EXPECT_EQ(rs6.scoped, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET);
  EXPECT_EQ(rs6.coverage.back().status, Enforcement::Enforced);
}

TEST(LandlockRuleset, AllowAllLeavesFilesAloneAndReportsDenies) {
  ir::Policy p;
  p.name = "docker-like";
  p.filesystem.specified = true;
  p.filesystem.allow_all_files = true;
  p.filesystem.rules.push_back({true, ir::kWrite, "@{PROC}/sys/**", "", at(9)});
  p.filesystem.mount_rules.push_back({true, "mount", "", at(10)});
  auto rs = compile_ruleset(p, 7);
  EXPECT_EQ(rs.handled_fs, 0u);
  EXPECT_FALSE(rs.restricts());
  EXPECT_EQ(find(rs.coverage, 9).status, Enforcement::NotEnforced);
  EXPECT_NE(find(rs.coverage, 9).reason.find("allow-only"), std::string::npos);
  EXPECT_EQ(find(rs.coverage, 10).status, Enforcement::NotEnforced);
}

TEST(LandlockRuleset, PortSets) {
  auto rs = compile_ruleset(web(), 7);
  EXPECT_EQ(rs.handled_net, LANDLOCK_ACCESS_NET_BIND_TCP);
  ASSERT_EQ(rs.ports.size(), 2u);
  EXPECT_EQ(rs.ports[0].first, 80);
  EXPECT_EQ(rs.ports[1].first, 8000);
  EXPECT_EQ(rs.ports[1].last, 8080);
  EXPECT_EQ(rs.port_rule_count(), 82u);

  // only a deny: every other port stays allowed
  ir::Policy d;
  d.network.specified = true;
  d.network.ports.push_back({true, ir::PortRule::Connect, "tcp", 25, 25, at(1)});
  auto rd = compile_ruleset(d, 7);
  EXPECT_EQ(rd.handled_net, LANDLOCK_ACCESS_NET_CONNECT_TCP);
  ASSERT_EQ(rd.ports.size(), 2u);
  EXPECT_EQ(rd.ports[0].last, 24);
  EXPECT_EQ(rd.ports[1].first, 26);
  EXPECT_EQ(rd.ports[1].last, 65535);
  EXPECT_EQ(rd.handled_fs, 0u);  // no filesystem section

  // udp cannot be expressed
  d.network.ports.push_back({false, ir::PortRule::Bind, "udp", 53, 53, at(2)});
  EXPECT_EQ(find(landlock::landlock_coverage(d, 7), 2).status, Enforcement::NotEnforced);
}

TEST(LandlockRuleset, JsonOutput) {
  auto j = nlohmann::json::parse(landlock::ruleset_json(compile_ruleset(web(), 7)));
  EXPECT_EQ(j["abi"], 7);
  EXPECT_EQ(j["path_beneath"][0]["path"], "/etc/nginx");
  EXPECT_EQ(j["path_beneath"][0]["allowed_access"], "read_file|read_dir|ioctl_dev");
  EXPECT_EQ(j["path_beneath"][0]["from"], "web.pol:1:3");
  EXPECT_EQ(j["net_port"][1]["ports"], "8000-8080");
  EXPECT_EQ(j["handled_access_net"], "bind_tcp");
}

}  // namespace
}  // namespace policy

namespace policy {
namespace {

TEST(LandlockRuleset, AbiZeroMeansNothingIsEnforced) {
  ir::Policy p;
  p.filesystem.specified = true;
  p.filesystem.rules.push_back({false, ir::kRead, "/etc/**", "", SourceLoc{"a.pol", 2, 3}});
  auto rs = landlock::compile_ruleset(p, 0);
  EXPECT_FALSE(rs.restricts());
  EXPECT_TRUE(rs.paths.empty());
  ASSERT_EQ(rs.coverage.size(), 1u);
  EXPECT_EQ(rs.coverage[0].status, Enforcement::NotEnforced);
  EXPECT_EQ(rs.coverage[0].reason, "the target kernel has no Landlock");
}

}  // namespace
}  // namespace policy
