// The AppArmor backend, judged by apparmor_parser: every generated profile compiles (-Q -K), and
// docker-default reproduces Docker's own binary policy (-QKS) byte for byte.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "compiler/apparmor/baseline.hpp"
#include "compiler/apparmor/coverage.hpp"
#include "compiler/apparmor/parser_tool.hpp"
#include "compiler/apparmor/profile.hpp"
#include "compiler/common/error.hpp"
#include "compiler/importer/apparmor_profile.hpp"

namespace policy {
namespace {

std::string shared_dir() {
  const char* d = std::getenv("POLICY_SHARED_DIR");
  return d ? d : "/work/shared";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string moby_profile() {
  return read_file(shared_dir() + "/data/profiles/moby-default.apparmor");
}

// sha256 of bytes, by the system's sha256sum (the same tool a reviewer would use).
std::string sha256(const std::string& bytes) {
  char tmpl[] = "/tmp/aa-binary-XXXXXX";
  int fd = mkstemp(tmpl);
  EXPECT_GE(fd, 0);
  FILE* f = fdopen(fd, "wb");
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  std::string cmd = std::string("sha256sum ") + tmpl;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[128] = {};
  std::string out = fgets(buf, sizeof buf, p) ? std::string(buf, 64) : "";
  pclose(p);
  unlink(tmpl);
  return out;
}

SourceLoc at(unsigned line, unsigned col = 3) {
  return SourceLoc{"web.pol", line, col};
}

ir::Policy web_policy() {
  ir::Policy p;
  p.name = "web";
  p.loc = at(1, 1);
  auto& fs = p.filesystem;
  fs.specified = true;
  fs.rules.push_back({false, ir::kRead, "/etc/nginx/**", "", at(5)});
  fs.rules.push_back({false, ir::kRead | ir::kMap, "/usr/**", "", at(5, 30)});
  fs.rules.push_back({false, ir::kWrite | ir::kAppend, "/var/log/nginx/**", "", at(6)});
  fs.rules.push_back({false, ir::kExec | ir::kRead, "/usr/sbin/nginx", "", at(7)});
  fs.rules.push_back({true, ir::kWrite, "@{PROC}/sys/**", "", at(8)});
  fs.rules.push_back({false, ir::kRead, "/srv/with space/**", "", at(9)});
  fs.mount_rules.push_back({true, "mount", "", at(10)});
  fs.ptrace_rules.push_back({false, {"read"}, "web", at(11)});
  p.network.specified = true;
  p.network.sockets.push_back({false, "inet", "stream", at(12)});
  p.network.sockets.push_back({false, "inet6", "stream", at(12, 20)});
  p.network.sockets.push_back({false, "unix", "", at(12, 35)});
  p.network.sockets.push_back({true, "netlink", "raw", at(13)});
  return p;
}

// docker-default's AppArmor content built in C++ from the IR pieces (baseline + Docker's allows).
ir::Policy docker_default_ir() {
  ir::Policy p;
  p.name = "docker-default";
  p.network.specified = true;
  p.network.sockets.push_back({false, "", "", {}});
  p.network.sockets.push_back({true, "alg", "", {}});
  auto& fs = p.filesystem;
  fs.specified = true;
  fs.allow_all_files = true;
  fs.mount_rules.push_back({false, "umount", "", {}});
  for (const char* peer : {"unconfined", "runc", "crun", "unconfined"})
    fs.signal_rules.push_back({false, {"receive"}, peer, {}});
  fs.signal_rules.push_back({false, {"send", "receive"}, "docker-default", {}});
  apparmor::inherit_baseline(fs);
  fs.ptrace_rules.push_back({false, {"trace", "tracedby", "read", "readby"}, "docker-default", {}});
  return p;
}

TEST(AppArmorProfile, WebProfileIsAcceptedByApparmorParser) {
  std::string text = apparmor::generate_profile(web_policy());
  auto err = apparmor::check_profile(text);
  EXPECT_FALSE(err) << *err << "\n" << text;
}

TEST(AppArmorProfile, ReadableLayoutAbiDeniesFirstComments) {
  std::string text = apparmor::generate_profile(web_policy());
  EXPECT_NE(text.find("abi <abi/3.0>,\n"), std::string::npos) << text;
  EXPECT_NE(text.find("@{PROC}=/proc/\n"), std::string::npos) << text;
  EXPECT_NE(text.find("profile web flags=(attach_disconnected,mediate_deleted) {\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  deny @{PROC}/sys/** w,  # web.pol:8:3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  /var/log/nginx/** w,  # web.pol:6:3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  /usr/sbin/nginx rix,  # web.pol:7:3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  \"/srv/with space/**\" r,"), std::string::npos) << text;
  EXPECT_NE(text.find("  network inet stream,  # web.pol:12:3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  deny network netlink raw,"), std::string::npos) << text;
  // every deny comes before the first allow
  size_t last_deny = text.rfind("  deny ");
  size_t first_allow = text.find("  network inet");
  EXPECT_LT(last_deny, first_allow) << text;
  // no signal rules in the policy: the runtime may still signal the container
  EXPECT_NE(text.find("signal (receive) peer=unconfined,"), std::string::npos) << text;
}

TEST(AppArmorProfile, NoFilesystemSectionMeansUnrestrictedFiles) {
  ir::Policy p;
  p.name = "plain";
  std::string text = apparmor::generate_profile(p);
  EXPECT_NE(text.find("  file,"), std::string::npos) << text;
  EXPECT_NE(text.find("  network,"), std::string::npos) << text;
  EXPECT_FALSE(apparmor::check_profile(text)) << text;
}

TEST(AppArmorProfile, UnknownVariableIsAnErrorNamingTheRule) {
  ir::Policy p = web_policy();
  p.filesystem.rules.push_back({false, ir::kRead, "@{HOME}/**", "", at(20)});
  try {
    apparmor::generate_profile(p);
    FAIL() << "expected policy::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("@{HOME}"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("web.pol:20:3"), std::string::npos) << e.what();
  }
}

TEST(AppArmorProfile, CommasOutsideBracesAreQuotedAndTransitionsArePartial) {
  ir::Policy p;
  p.name = "odd";
  p.filesystem.specified = true;
  p.filesystem.rules.push_back({false, ir::kRead, "/data/a,b", "", at(2)});
  p.filesystem.rules.push_back({false, ir::kRead, "/data/{x,y}/**", "", at(3)});
  p.filesystem.rules.push_back({false, ir::kExec, "/usr/bin/helper", "Px -> helper", at(4)});
  std::string text = apparmor::generate_profile(p);
  EXPECT_NE(text.find("  \"/data/a,b\" r,"), std::string::npos) << text;
  EXPECT_NE(text.find("  /data/{x,y}/** r,"), std::string::npos) << text;
  auto err = apparmor::check_profile(text);
  EXPECT_FALSE(err) << *err << text;
  auto cov = apparmor::apparmor_coverage(p);
  ASSERT_EQ(cov.size(), 3u);
  EXPECT_EQ(cov[2].status, Enforcement::Partial);
  EXPECT_NE(cov[2].reason.find("loaded separately"), std::string::npos);
  for (auto& c : cov) EXPECT_EQ(c.layer, "apparmor");
}

TEST(AppArmorParser, RejectsABrokenProfileWithItsMessage) {
  auto err = apparmor::check_profile("profile broken {\n  /tmp/** wa,\n}\n");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("mutually exclusive"), std::string::npos) << *err;
}

TEST(AppArmorProfile, DockerDefaultFromIrIsBinaryIdenticalToDockers) {
  std::string ours = apparmor::binary_policy(apparmor::generate_profile(docker_default_ir()));
  std::string docker = apparmor::binary_policy(moby_profile());
  ASSERT_FALSE(docker.empty());
  EXPECT_EQ(sha256(ours), sha256(docker));
  EXPECT_TRUE(ours == docker);
}

TEST(AppArmorProfile, BinaryIdentityCheckCanFail) {
  // The identity check is sensitive: one rule less (kcore) changes the binary policy.
  ir::Policy p = docker_default_ir();
  auto& rules = p.filesystem.rules;
  std::erase_if(rules, [](const ir::PathRule& r) { return r.pattern == "@{PROC}/kcore"; });
  std::string ours = apparmor::binary_policy(apparmor::generate_profile(p));
  EXPECT_NE(sha256(ours), sha256(apparmor::binary_policy(moby_profile())));
}

TEST(AppArmorProfile, AbiLineAndCommentsDoNotChangeTheBinary) {
  // Documented in docs/apparmor.md: the pinned abi line and comments leave -QKS output unchanged.
  apparmor::ProfileOptions bare;
  bare.pin_abi = false;
  bare.comments = false;
  ir::Policy p = docker_default_ir();
  EXPECT_TRUE(apparmor::binary_policy(apparmor::generate_profile(p)) ==
              apparmor::binary_policy(apparmor::generate_profile(p, bare)));
}

TEST(AppArmorBaseline, MatchesDockerProcAndSysProtections) {
  const auto& b = apparmor::docker_baseline();
  EXPECT_EQ(b.rules.size(), 14u);
  ASSERT_EQ(b.mount_rules.size(), 1u);
  EXPECT_TRUE(b.mount_rules[0].deny);
  for (auto& r : b.rules) EXPECT_TRUE(r.deny) << r.pattern;
  // inheriting twice adds nothing the second time
  ir::FilesystemPolicy fs;
  EXPECT_EQ(apparmor::inherit_baseline(fs), 15u);
  EXPECT_EQ(apparmor::inherit_baseline(fs), 0u);
}

}  // namespace
}  // namespace policy
