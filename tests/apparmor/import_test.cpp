// policyc import for AppArmor profiles: Docker's profile in, the same binary policy out; every
// rule kind docker-default uses lands in the IR with its line and column.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "compiler/apparmor/parser_tool.hpp"
#include "compiler/apparmor/profile.hpp"
#include "compiler/importer/apparmor_profile.hpp"

namespace policy {
namespace {

std::string moby_path() {
  const char* d = std::getenv("POLICY_SHARED_DIR");
  return std::string(d ? d : "/work/shared") + "/data/profiles/moby-default.apparmor";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string rendered(const DiagnosticEngine& d) {
  std::ostringstream os;
  d.print_all(os);
  return os.str();
}

TEST(AppArmorImport, DockerDefaultIntoTheIr) {
  DiagnosticEngine d;
  auto p = importer::import_apparmor(read_file(moby_path()), "moby-default.apparmor", d);
  ASSERT_TRUE(p) << rendered(d);
  EXPECT_EQ(d.warning_count(), 0u) << rendered(d);
  EXPECT_EQ(p->name, "docker-default");
  const auto& fs = p->filesystem;
  EXPECT_TRUE(fs.specified);
  EXPECT_TRUE(fs.allow_all_files);
  EXPECT_EQ(fs.allow_all_loc.line, 11u);
  EXPECT_EQ(fs.rules.size(), 14u);
  ASSERT_EQ(fs.mount_rules.size(), 2u);
  EXPECT_EQ(fs.mount_rules[0].kind, "umount");
  EXPECT_FALSE(fs.mount_rules[0].deny);
  EXPECT_EQ(fs.mount_rules[1].kind, "mount");
  EXPECT_TRUE(fs.mount_rules[1].deny);
  ASSERT_EQ(fs.signal_rules.size(), 5u);
  EXPECT_EQ(fs.signal_rules[4].peer, "docker-default");  // quotes removed
  EXPECT_EQ(fs.signal_rules[4].perms, (std::vector<std::string>{"send", "receive"}));
  ASSERT_EQ(fs.ptrace_rules.size(), 1u);
  EXPECT_EQ(fs.ptrace_rules[0].perms.size(), 4u);
  ASSERT_EQ(p->network.sockets.size(), 2u);
  EXPECT_EQ(p->network.sockets[0].family, "");
  EXPECT_TRUE(p->network.sockets[1].deny);
  EXPECT_EQ(p->network.sockets[1].family, "alg");

  const auto& proc = fs.rules[0];
  EXPECT_TRUE(proc.deny);
  EXPECT_EQ(proc.access, ir::kWrite);
  EXPECT_EQ(proc.pattern, "@{PROC}/*");
  EXPECT_EQ(proc.loc.str(), "moby-default.apparmor:24:3");
  const auto& kcore = fs.rules[5];
  EXPECT_EQ(kcore.pattern, "@{PROC}/kcore");
  EXPECT_EQ(kcore.access, ir::kRead | ir::kWrite | ir::kLock | ir::kLink | ir::kExec);
  // the brace alternation with commas inside stays one pattern
  EXPECT_EQ(
      fs.rules[1].pattern,
      "@{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/**");
}

TEST(AppArmorImport, RoundTripGivesDockersBinaryPolicy) {
  std::string docker = read_file(moby_path());
  DiagnosticEngine d;
  auto p = importer::import_apparmor(docker, "moby-default.apparmor", d);
  ASSERT_TRUE(p) << rendered(d);
  std::string again = apparmor::generate_profile(*p);
  EXPECT_TRUE(apparmor::binary_policy(again) == apparmor::binary_policy(docker)) << again;
  // and the regenerated profile imports to the same rules again
  DiagnosticEngine d2;
  auto q = importer::import_apparmor(again, "again.apparmor", d2);
  ASSERT_TRUE(q) << rendered(d2);
  EXPECT_EQ(q->filesystem.rules.size(), p->filesystem.rules.size());
  EXPECT_TRUE(apparmor::binary_policy(apparmor::generate_profile(*q)) ==
              apparmor::binary_policy(docker));
}

TEST(AppArmorImport, OtherRuleFormsVariablesAndCapabilities) {
  const char* text = R"(# a hand-written profile
abi <abi/3.0>,
include <tunables/global>
@{LOGS}=/var/log/app/ /var/log/other/
profile /usr/bin/app flags=(attach_disconnected) {
  #include <abstractions/base>
  capability chown setuid,
  capability net_bind_service,
  network inet stream,
  r /etc/app/**,
  owner /home/*/.cache/** rw,
  /usr/bin/helper Px -> helper,
  audit deny @{LOGS}/secret* rwl,
  signal send set=(hup) peer=helper,
  unix (send) type=stream,
  ^hat {
    /tmp/** rw,
  }
  pivot_root,
}
)";
  DiagnosticEngine d;
  auto p = importer::import_apparmor(text, "app.apparmor", d);
  ASSERT_TRUE(p) << rendered(d);
  EXPECT_EQ(p->name, "usr.bin.app");
  auto& c = p->capabilities;
  EXPECT_EQ(c.bounding,
            (1ULL << 0) | (1ULL << 7) | (1ULL << 10));  // CHOWN, SETUID, NET_BIND_SERVICE
  EXPECT_EQ(c.permitted, c.bounding);
  auto& rules = p->filesystem.rules;
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].pattern, "/etc/app/**");
  EXPECT_EQ(rules[0].access, ir::kRead);
  EXPECT_EQ(rules[1].pattern, "/home/*/.cache/**");
  EXPECT_EQ(rules[2].exec_mode, "Px -> helper");
  EXPECT_EQ(rules[3].pattern, "/{var/log/app/,var/log/other/}/secret*");
  EXPECT_TRUE(rules[3].deny);
  EXPECT_EQ(rules[3].loc.str(), "app.apparmor:13:3");
  ASSERT_EQ(p->filesystem.signal_rules.size(), 1u);
  EXPECT_EQ(p->filesystem.signal_rules[0].perms, (std::vector<std::string>{"send"}));
  EXPECT_EQ(p->filesystem.mount_rules.size(), 1u);
  std::string w = rendered(d);
  for (const char* expected :
       {"app.apparmor:3:1: warning: include <tunables/global> is not followed",
        "app.apparmor:6:3: warning: include <abstractions/base> is not followed",
        "app.apparmor:5:1: warning: profile '/usr/bin/app' is imported as policy 'usr.bin.app'",
        "app.apparmor:11:3: warning: 'owner' qualifier", "app.apparmor:14:15: warning: signal set",
        "app.apparmor:15:3: warning: 'unix' rules are not represented",
        "app.apparmor:16:3: warning: nested profile or hat"})
    EXPECT_NE(w.find(expected), std::string::npos) << "missing: " << expected << "\n" << w;
  // the result is still a profile apparmor_parser accepts
  auto err = apparmor::check_profile(apparmor::generate_profile(*p));
  EXPECT_FALSE(err) << *err;
}

TEST(AppArmorImport, ErrorsPointAtTheText) {
  DiagnosticEngine d;
  EXPECT_FALSE(importer::import_apparmor("profile x {\n  /tmp/** rwz,\n}\n", "bad.apparmor", d));
  EXPECT_NE(rendered(d).find("bad.apparmor:2:11: error: invalid file permissions 'rwz': 'z' is not "
                             "an AppArmor permission letter"),
            std::string::npos)
      << rendered(d);
  DiagnosticEngine d2;
  EXPECT_FALSE(importer::import_apparmor("profile x {\n  /tmp/** rw,\n", "open.apparmor", d2));
  EXPECT_NE(rendered(d2).find("is not closed"), std::string::npos) << rendered(d2);
  DiagnosticEngine d3;
  EXPECT_FALSE(importer::import_apparmor("# nothing\n", "empty.apparmor", d3));
  EXPECT_NE(rendered(d3).find("no profile in this file"), std::string::npos) << rendered(d3);
}

TEST(AppArmorImport, PeerNamingABasePolicyBecomesThisProfile) {
  DiagnosticEngine d;
  auto p = importer::import_apparmor(read_file(moby_path()), "moby-default.apparmor", d);
  ASSERT_TRUE(p);
  p->bases = {"docker-default"};
  p->name = "web";
  std::string text = apparmor::generate_profile(*p);
  EXPECT_NE(text.find("signal (send,receive) peer=@{profile_name},"), std::string::npos) << text;
  EXPECT_NE(text.find("ptrace (trace,tracedby,read,readby) peer=@{profile_name},"),
            std::string::npos)
      << text;
  EXPECT_FALSE(apparmor::check_profile(text));
}

}  // namespace
}  // namespace policy
