// The enforceability report (`policyc compile --report`): deny rules judged across layers (the
// compiled seccomp filter, policyrun's mounts), allow-type rules reported as grants, and what the
// grants leave out judged. The seccomp claims are checked against the kernel running the same
// filter.
#include "compiler/driver/report.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstdlib>

#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "seccomp/seccomp_test_support.hpp"

using namespace policy;

namespace {

std::string source_dir() {
  const char* d = std::getenv("POLICY_SOURCE_DIR");
  return d ? d : POLICY_TEST_SOURCE_DIR;
}

ir::Policy load_text(const std::string& text) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_text("/tmp/report-test.pol", text, {}, diags);
  if (!p) {
    diags.print_all(std::cerr);
    throw std::runtime_error("test policy does not compile");
  }
  return *p;
}

ir::Policy load_file(const std::string& path) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(path, {}, diags);
  if (!p) throw std::runtime_error(path + " does not compile");
  return *p;
}

const driver::ReportEntry& entry(const driver::Report& r, const std::string& section,
                                 const std::string& rule) {
  for (const driver::ReportEntry& e : r.entries)
    if (e.section == section && e.rule == rule) return e;
  throw std::runtime_error("no report entry [" + section + "] " + rule);
}

const driver::LayerVerdict* layer(const driver::ReportEntry& e, const std::string& name) {
  for (const driver::LayerVerdict& l : e.layers)
    if (l.layer == name) return &l;
  return nullptr;
}

// An LSM-less target, so only seccomp and the runtime can enforce the LSM rules.
const driver::ReportTarget kNoLsm{false, 0};

// The kernel's answer to socket(family, SOCK_SEQPACKET, 0) under `filter`: EPERM when the filter
// refuses it; otherwise whatever the kernel says (on a kernel without AF_ALG, EAFNOSUPPORT).
int socket_errno_under(const seccomp::Program& filter, uint64_t family) {
  auto o = seccomp_test::run_filtered(filter, [&] {
    return seccomp_test::errno_of(syscall(SYS_socket, family, SOCK_SEQPACKET, 0));
  });
  return o.exited ? o.exit_code : -1;
}

constexpr const char* kStrictSockets = R"(policy t {
  syscalls default errno(EPERM) {
    allow read, write, exit_group
    allow socket(u32(domain) == AF_INET and u32(type) == SOCK_STREAM)
  }
  namespaces { mount, pid }
  rootfs { readonly-paths /proc/sys }
  filesystem {
    read /usr/**
    deny write /proc/sys/**
    deny read /proc/sys/kernel/**
    deny mount
  }
  network { inet stream; deny alg }
}
)";

}  // namespace

// Docker's deny of AF_ALG is carried by its socket() rule: the compiled filter refuses
// socket(AF_ALG) but compares all 64 bits of the family on x86_64, where the kernel reads an int.
// The report says exactly that, and the kernel agrees with it.
TEST(Report, DenyAlgIsJudgedOnTheCompiledFilter) {
  ir::Policy p = load_file(source_dir() + "/policies/docker-default.pol");
  driver::Report r = driver::enforceability_report(p, kNoLsm);
  const driver::ReportEntry& alg = entry(r, "network", "deny alg");
  const driver::LayerVerdict* sc = layer(alg, "seccomp");
  ASSERT_NE(sc, nullptr) << "no seccomp verdict for deny alg";
  EXPECT_FALSE(alg.grant);
  if (names::native_arch() != *names::arch_token("x86_64")) GTEST_SKIP() << "x86_64 host needed";
  EXPECT_EQ(sc->status, Enforcement::Partial) << sc->reason;
  EXPECT_NE(sc->reason.find("socket(AF_ALG|0x100000000, "), std::string::npos) << sc->reason;
  EXPECT_NE(sc->reason.find("on x86_64"), std::string::npos) << sc->reason;
  // The kernel: the plain family is refused by the filter, the widened one is not.
  seccomp::Program filter = driver::compile_seccomp(p.seccomp, {});
  const uint64_t af_alg = *names::constant_value("AF_ALG");
  EXPECT_EQ(socket_errno_under(filter, af_alg), EPERM);
  EXPECT_NE(socket_errno_under(filter, af_alg | (1ULL << 32)), EPERM);
}

TEST(Report, SeccompEnforcesADenyItsFilterRefusesEverywhere) {
  ir::Policy p = load_text(kStrictSockets);
  driver::Report r = driver::enforceability_report(p, kNoLsm);
  const driver::ReportEntry& alg = entry(r, "network", "deny alg");
  EXPECT_EQ(alg.overall(), Enforcement::Enforced);
  const driver::LayerVerdict* sc = layer(alg, "seccomp");
  ASSERT_NE(sc, nullptr);
  EXPECT_EQ(sc->reason, "the compiled filter refuses socket(AF_ALG, ...) on x86_64, x86, x32");
  seccomp::Program filter = driver::compile_seccomp(p.seccomp, {});
  const uint64_t af_alg = *names::constant_value("AF_ALG");
  EXPECT_EQ(socket_errno_under(filter, af_alg), EPERM);
  EXPECT_EQ(socket_errno_under(filter, af_alg | (1ULL << 32)), EPERM);
  // deny mount: the filter refuses every mount call.
  const driver::ReportEntry& mount = entry(r, "filesystem", "deny mount");
  ASSERT_NE(layer(mount, "seccomp"), nullptr);
  EXPECT_EQ(layer(mount, "seccomp")->status, Enforcement::Enforced);
}

// Allow-type rules grant; they are not counted among the unenforced. What they leave out is one
// synthesised entry, judged on the filter.
TEST(Report, GrantsAreNotUnenforcedAndWhatTheyLeaveOutIsJudged) {
  ir::Policy strict = load_text(kStrictSockets);
  driver::Report r = driver::enforceability_report(strict, kNoLsm);
  EXPECT_TRUE(entry(r, "network", "inet stream").grant);
  EXPECT_EQ(entry(r, "network", "inet stream").status(), "granted");
  EXPECT_TRUE(entry(r, "filesystem", "read /usr/**").grant);
  const driver::ReportEntry& other = entry(r, "network", "other socket families refused");
  EXPECT_EQ(other.overall(), Enforcement::Enforced) << layer(other, "seccomp")->reason;
  // A filter that allows socket() outright refuses none of what the grants leave out.
  std::string open_socket = kStrictSockets;
  const std::string strict_rule =
      "allow socket(u32(domain) == AF_INET and u32(type) == SOCK_STREAM)";
  open_socket.replace(open_socket.find(strict_rule), strict_rule.size(), "allow socket");
  driver::Report o = driver::enforceability_report(load_text(open_socket), kNoLsm);
  EXPECT_EQ(entry(o, "network", "other socket families refused").overall(),
            Enforcement::NotEnforced);
  // web.pol grants inet stream; its filter refuses other families but every type of AF_INET.
  ir::Policy web = load_file(source_dir() + "/policies/web.pol");
  driver::Report w = driver::enforceability_report(web, kNoLsm);
  const driver::ReportEntry& web_other = entry(w, "network", "other socket families refused");
  EXPECT_EQ(web_other.overall(), Enforcement::Partial);
  EXPECT_NE(layer(web_other, "seccomp")->reason.find("socket(AF_INET, SOCK_DGRAM, 0)"),
            std::string::npos)
      << layer(web_other, "seccomp")->reason;
  for (const driver::ReportEntry& e : w.entries) {
    if (e.section == "network" && e.rule != "other socket families refused") {
      EXPECT_TRUE(e.grant) << e.rule;
    }
  }
  // The text and the JSON count the same.
  nlohmann::json j = driver::report_json(w);
  size_t granted = 0;
  for (const driver::ReportEntry& e : w.entries) granted += e.grant;
  EXPECT_EQ(j["summary"]["granted"], granted);
  EXPECT_NE(driver::report_text(w).find("; " + std::to_string(granted) + " grants\n"),
            std::string::npos);
}

// A path deny is enforced by policyrun's mounts for the accesses they refuse, and only those.
TEST(Report, PathDeniesAreJudgedOnTheRuntimeMounts) {
  ir::Policy p = load_text(kStrictSockets);
  driver::Report r = driver::enforceability_report(p, kNoLsm);
  const driver::LayerVerdict* w =
      layer(entry(r, "filesystem", "deny write /proc/sys/**"), "runtime");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status, Enforcement::Enforced) << w->reason;
  EXPECT_NE(w->reason.find("/proc/sys is mounted read-only"), std::string::npos) << w->reason;
  // A read-only mount does not refuse reads.
  EXPECT_EQ(layer(entry(r, "filesystem", "deny read /proc/sys/kernel/**"), "runtime"), nullptr);
  // docker-default: /proc/kcore is masked; /proc/sysrq-trigger only read-only (reads pass).
  ir::Policy d = load_file(source_dir() + "/policies/docker-default.pol");
  driver::Report dr = driver::enforceability_report(d, kNoLsm);
  const driver::ReportEntry& kcore =
      entry(dr, "filesystem", "deny read+write+exec+link+lock @{PROC}/kcore");
  EXPECT_EQ(kcore.overall(), Enforcement::Enforced);
  const driver::ReportEntry& sysrq =
      entry(dr, "filesystem", "deny read+write+exec+link+lock @{PROC}/sysrq-trigger");
  EXPECT_EQ(sysrq.overall(), Enforcement::Partial);
  EXPECT_NE(layer(sysrq, "runtime")->reason.find("read+lock not refused"), std::string::npos);
}

// What policyrun's Docker flags set (runtime/cli/docker_flags.hpp) carries the origin "from the
// command line: FLAG", which the report prints where a policy rule's file:line:col goes.
TEST(Report, ItemsFromTheCommandLineSaySo) {
  ir::Policy p = load_text("policy p {\n  rootfs { tmpfs /tmp }\n}\n");
  p.rootfs.mounts.push_back(
      {ir::MountSpec::Bind, "/srv", "/data", {"ro"}, SourceLoc::command_line("-v /srv:/data:ro")});
  const driver::Report r = driver::enforceability_report(p, kNoLsm);
  EXPECT_TRUE(entry(r, "rootfs", "mount /data").loc.from_command_line());
  EXPECT_EQ(entry(r, "rootfs", "mount /tmp").loc.str(), "/tmp/report-test.pol:2:12");
  EXPECT_NE(driver::report_text(r).find("mount /data  (from the command line: -v /srv:/data:ro)"),
            std::string::npos)
      << driver::report_text(r);
  const nlohmann::json json = driver::report_json(r);
  bool found = false;
  for (const auto& e : json["rules"])
    found |= e.value("location", "") == "from the command line: -v /srv:/data:ro";
  EXPECT_TRUE(found) << json.dump(2);
}
