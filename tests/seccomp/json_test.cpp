#include "compiler/seccomp/json.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <linux/audit.h>
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "compiler/common/error.hpp"
#include "compiler/seccomp/disassemble.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "seccomp/seccomp_test_support.hpp"
#include "support/runc_oracle.hpp"

using namespace policy;
using namespace policy::seccomp;
using policy::importer::JsonImportOptions;
using policy::importer::seccomp_from_json;
using namespace seccomp_test;
using nlohmann::json;

namespace {

const ir::KernelVersion kKernel{6, 1};

std::string shared_dir() {
  const char* d = std::getenv("POLICY_SHARED_DIR");
  return d ? d : "/work/shared";
}

json moby_profile() {
  std::ifstream in(shared_dir() + "/data/profiles/moby-default.seccomp.json");
  if (!in) throw Error("cannot read moby-default.seccomp.json under " + shared_dir());
  return json::parse(in);
}

JsonImportOptions x86_64_host(ir::KernelVersion kernel = kKernel) {
  JsonImportOptions o;
  o.kernel = kernel;
  o.native_arches = {arch("x86_64")};
  o.file_name = "moby-default.seccomp.json";
  return o;
}

std::vector<uint64_t> json_constants(const json& profile) {
  std::set<uint64_t> out;
  for (const json& c : profile["syscalls"])
    if (c.contains("args") && c["args"].is_array())
      for (const json& a : c["args"]) {
        out.insert(a.value("value", uint64_t{0}));
        out.insert(a.value("valueTwo", uint64_t{0}));
      }
  return {out.begin(), out.end()};
}

const ir::SyscallRule* find_rule(const std::vector<ir::SyscallRule>& rules, const std::string& n) {
  for (const ir::SyscallRule& r : rules)
    if (r.syscall == n) return &r;
  return nullptr;
}

uint64_t caps_of(std::initializer_list<const char*> names_list) {
  uint64_t m = JsonImportOptions::docker_default_capabilities();
  for (const char* n : names_list) m |= uint64_t{1} << *names::capability_number(n);
  return m;
}

const std::vector<uint32_t> kX86Family = {arch("x86_64"), arch("x86"), arch("x32")};

// The IR path (JSON -> IR -> libseccomp) and runc's path (JSON -> libseccomp) decide every call
// the same way. Both get the ENOSYS stub for numbers above libseccomp's tables (the backend by
// default, the oracle by its enosys_stub argument), so the range is compared too.
void expect_same_as_runc(const json& profile, const JsonImportOptions& opt) {
  DiagnosticEngine diags;
  ir::SeccompPolicy p = seccomp_from_json(profile, opt, diags);
  ASSERT_FALSE(diags.has_errors());
  Program runc = compile_json_like_runc(profile, opt, /*enosys_stub=*/true);
  for (bool tree : {true, false}) {
    Program ours = compile_with_libseccomp(p, {tree, opt.kernel, /*widening=*/true});
    auto diff = first_difference(ours, runc, kX86Family, json_constants(profile));
    EXPECT_FALSE(diff) << (tree ? "tree: " : "linear: ") << *diff;
  }
}

}  // namespace

TEST(JsonImport, DockerDefaultProfile) {
  DiagnosticEngine diags;
  ir::SeccompPolicy p = seccomp_from_json(moby_profile(), x86_64_host(), diags);
  EXPECT_FALSE(diags.has_errors());
  EXPECT_EQ(p.default_action, err(EPERM));
  ASSERT_EQ(p.arches, kX86Family);  // archMap entry of the host: x86_64 + x86, x32
  EXPECT_TRUE(find_rule(p.rules, "read"));
  EXPECT_EQ(find_rule(p.rules, "clone3")->action, err(ENOSYS));
  EXPECT_TRUE(find_rule(p.rules, "ptrace"));      // minKernel 4.8 <= 6.1
  EXPECT_TRUE(find_rule(p.rules, "arch_prctl"));  // includes.arches amd64
  EXPECT_FALSE(find_rule(p.rules, "riscv_flush_icache"));
  EXPECT_TRUE(find_rule(p.inactive_rules, "riscv_flush_icache"));
  EXPECT_FALSE(find_rule(p.rules, "mount"));  // CAP_SYS_ADMIN not kept
  const ir::SyscallRule* mount = find_rule(p.inactive_rules, "mount");
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->requires_caps, std::vector<std::string>{"CAP_SYS_ADMIN"});
  // clone: flags & CLONE_NEW* == 0 (MASKED_EQ: value is the mask, valueTwo the value).
  const ir::SyscallRule* clone = find_rule(p.rules, "clone");
  ASSERT_TRUE(clone);
  ASSERT_EQ(clone->args.size(), 1u);
  ASSERT_EQ(clone->args[0].size(), 1u);
  EXPECT_EQ(clone->args[0][0].op, ir::CmpOp::MaskedEq);
  EXPECT_EQ(clone->args[0][0].mask, 2114060288u);
  EXPECT_EQ(clone->args[0][0].value, 0u);
  EXPECT_EQ(clone->via, "syscalls[" + std::to_string([&] {
                          json j = moby_profile();
                          for (size_t i = 0; i < j["syscalls"].size(); ++i)
                            if (j["syscalls"][i]["names"][0] == "clone") return i;
                          return size_t{0};
                        }()) +
                            "]");
  // personality: five separate entries, each one rule.
  int personality = 0;
  for (const ir::SyscallRule& r : p.rules) personality += r.syscall == "personality";
  EXPECT_EQ(personality, 5);
  // Names libseccomp 2.5.4 does not know are skipped with a named warning.
  for (const Diagnostic& d : diags.diagnostics())
    if (d.severity == Severity::Warning) {
      EXPECT_EQ(d.warning_name, "unknown-syscall") << d.message;
    }
}

TEST(JsonImport, CapabilitiesKernelAndArchDecideLikeDocker) {
  DiagnosticEngine diags;
  JsonImportOptions o = x86_64_host(ir::KernelVersion{4, 7});
  o.capabilities = caps_of({"SYS_ADMIN", "SYS_PTRACE"});
  ir::SeccompPolicy p = seccomp_from_json(moby_profile(), o, diags);
  EXPECT_TRUE(find_rule(p.rules, "mount"));
  // excludes.caps CAP_SYS_ADMIN drops the clone flag check and the ENOSYS rule for clone3; the
  // CAP_SYS_ADMIN entry allows both outright.
  EXPECT_TRUE(find_rule(p.inactive_rules, "clone"));
  ASSERT_TRUE(find_rule(p.rules, "clone"));
  EXPECT_TRUE(find_rule(p.rules, "clone")->args.empty());
  ASSERT_TRUE(find_rule(p.rules, "clone3"));
  EXPECT_EQ(find_rule(p.rules, "clone3")->action, allow());
  // ptrace: the minKernel 4.8 entry is out, the CAP_SYS_PTRACE entry is in.
  int ptrace = 0;
  for (const ir::SyscallRule& r : p.rules) ptrace += r.syscall == "ptrace";
  EXPECT_EQ(ptrace, 1);
  // On an arm64 host the archMap entry is aarch64 + arm and the arm-only rules apply.
  JsonImportOptions arm = x86_64_host();
  arm.native_arches = {arch("aarch64")};
  DiagnosticEngine d2;
  ir::SeccompPolicy pa = seccomp_from_json(moby_profile(), arm, d2);
  EXPECT_EQ(pa.arches, (std::vector<uint32_t>{arch("aarch64"), arch("arm")}));
  EXPECT_TRUE(find_rule(pa.rules, "cacheflush"));
  EXPECT_FALSE(find_rule(pa.rules, "arch_prctl"));
}

TEST(JsonImport, RuncSplitsSeveralConditionsOnOneArgument) {
  json j = json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "syscalls": [
      {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
      {"names": ["mmap"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 2, "value": 1, "op": "SCMP_CMP_EQ"},
                {"index": 3, "value": 2, "op": "SCMP_CMP_EQ"}]}
    ]})");
  DiagnosticEngine diags;
  ir::SeccompPolicy p = seccomp_from_json(j, x86_64_host(), diags);
  ASSERT_FALSE(diags.has_errors());
  EXPECT_EQ(p.arches, std::vector<uint32_t>{arch("x86_64")});  // OCI style: native only
  const ir::SyscallRule* pers = find_rule(p.rules, "personality");
  ASSERT_TRUE(pers);
  EXPECT_EQ(pers->args.size(), 2u);  // OR: either value
  const ir::SyscallRule* mmap = find_rule(p.rules, "mmap");
  ASSERT_EQ(mmap->args.size(), 1u);  // AND: one conjunction of both
  EXPECT_EQ(mmap->args[0].size(), 2u);
  Program prog = compile_with_libseccomp(p, {true, kKernel});
  const uint32_t x = arch("x86_64");
  auto nr = [&](const char* n) { return static_cast<uint32_t>(*names::syscall_number(n, x)); };
  EXPECT_EQ(run_filter(prog, make_seccomp_data(x, nr("personality"), {8})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_filter(prog, make_seccomp_data(x, nr("personality"), {0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_filter(prog, make_seccomp_data(x, nr("personality"), {4})), SECCOMP_RET_ERRNO | 1u);
  EXPECT_EQ(run_filter(prog, make_seccomp_data(x, nr("mmap"), {0, 0, 1, 2})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run_filter(prog, make_seccomp_data(x, nr("mmap"), {0, 0, 1, 3})),
            SECCOMP_RET_ERRNO | 1u);
  expect_same_as_runc(j, x86_64_host());
}

// Podman's default profile allows setns in its first entry and refuses it again (errno, without
// CAP_SYS_ADMIN) in a later one. libseccomp keeps the first unconditional rule for a call and drops
// the later one without an error; the import does the same, with a warning naming both entries.
TEST(JsonImport, ALaterUnconditionalRuleForTheSameCallHasNoEffectAsInLibseccomp) {
  json j = json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "syscalls": [
      {"names": ["setns", "read"], "action": "SCMP_ACT_ALLOW"},
      {"names": ["setns"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
       "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
      {"names": ["write"], "action": "SCMP_ACT_ALLOW"}
    ]})");
  DiagnosticEngine diags;
  ir::SeccompPolicy p = seccomp_from_json(j, x86_64_host(), diags);
  ASSERT_FALSE(diags.has_errors());
  std::ostringstream out;
  diags.print_all(out);
  EXPECT_NE(out.str().find("syscalls[1]: 'setns' already has the unconditional action allow from "
                           "syscalls[0]"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("syscalls[3]: 'write'"), std::string::npos) << out.str();
  ASSERT_TRUE(find_rule(p.rules, "setns"));
  EXPECT_EQ(find_rule(p.rules, "setns")->action.kind, ir::ActionKind::Allow);
  ASSERT_TRUE(find_rule(p.rules, "write"));
  EXPECT_EQ(find_rule(p.rules, "write")->action.kind, ir::ActionKind::Errno);
  // And runc's own build of the JSON (libseccomp, entries in file order) decides the same.
  expect_same_as_runc(j, x86_64_host());
}

TEST(JsonImport, StructuralProblemsAreDiagnosed) {
  auto errors_of = [](const char* text) {
    DiagnosticEngine diags;
    JsonImportOptions o = x86_64_host();
    o.file_name = "bad.json";
    seccomp_from_json(json::parse(text), o, diags);
    std::string all;
    for (const Diagnostic& d : diags.diagnostics())
      if (d.severity == Severity::Error) all += d.loc.file + ": " + d.message + "\n";
    return all;
  };
  EXPECT_NE(errors_of(R"({"syscalls": []})").find("no defaultAction"), std::string::npos);
  EXPECT_NE(errors_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"],
                          "archMap": [{"architecture": "SCMP_ARCH_X86_64"}], "syscalls": []})")
                .find("both 'architectures' and 'archMap'"),
            std::string::npos);
  EXPECT_NE(errors_of(R"({"defaultAction": "SCMP_ACT_NOPE"})").find("unknown action"),
            std::string::npos);
  EXPECT_NE(errors_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
                          "action": "SCMP_ACT_ALLOW", "args": [{"index": 7, "op": "SCMP_CMP_EQ"}]}]})")
                .find("index 0..5"),
            std::string::npos);
  EXPECT_NE(errors_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
                          "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4"}}]})")
                .find("minKernel"),
            std::string::npos);
  // A profile without syscalls is valid.
  EXPECT_EQ(errors_of(R"({"defaultAction": "SCMP_ACT_ERRNO"})"), "");
  // Errors name the file.
  EXPECT_NE(errors_of(R"({"defaultAction": 3})").find("bad.json: "), std::string::npos);
  // The legacy "name" field and every action spelling.
  DiagnosticEngine diags;
  ir::SeccompPolicy p = seccomp_from_json(json::parse(R"({"defaultAction": "SCMP_ACT_KILL",
      "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW"},
                   {"names": ["write"], "action": "SCMP_ACT_TRACE"},
                   {"names": ["open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                   {"names": ["close"], "action": "SCMP_ACT_LOG"},
                   {"names": ["dup"], "action": "SCMP_ACT_TRAP"},
                   {"names": ["dup2"], "action": "SCMP_ACT_KILL_PROCESS"},
                   {"names": ["dup3"], "action": "SCMP_ACT_NOTIFY"},
                   {"names": ["no_such_call"], "action": "SCMP_ACT_ALLOW"}]})"),
                                          x86_64_host(), diags);
  EXPECT_FALSE(diags.has_errors());
  EXPECT_EQ(diags.warning_count(), 1u);
  EXPECT_EQ(p.default_action.kind, ir::ActionKind::KillThread);
  ASSERT_EQ(p.rules.size(), 7u);
  EXPECT_EQ(p.rules[1].action, (ir::Action{ir::ActionKind::Trace, 1}));  // runc: EPERM by default
  EXPECT_EQ(p.rules[2].action, err(ENOSYS));
  EXPECT_EQ(p.rules[6].action.kind, ir::ActionKind::UserNotify);
}

TEST(JsonEquivalence, DockerDefaultThroughTheIrMatchesRunc) {
  const json profile = moby_profile();
  expect_same_as_runc(profile, x86_64_host());
}

TEST(JsonEquivalence, DockerDefaultWithMoreCapabilitiesAndAnOldKernel) {
  JsonImportOptions o = x86_64_host(ir::KernelVersion{4, 4});
  o.capabilities = caps_of({"SYS_ADMIN", "SYS_PTRACE", "SYS_TIME", "BPF"});
  expect_same_as_runc(moby_profile(), o);
}

TEST(JsonEquivalence, TheComparisonFindsADifference) {
  // The harness must be able to fail: one changed constant in the profile is found.
  json changed = moby_profile();
  for (json& c : changed["syscalls"])
    if (c["names"][0] == "personality" && c["args"][0]["value"] == 8) c["args"][0]["value"] = 9;
  const JsonImportOptions opt = x86_64_host();
  Program a = compile_json_like_runc(moby_profile(), opt);
  Program b = compile_json_like_runc(changed, opt);
  auto diff = first_difference(a, b, kX86Family, json_constants(moby_profile()));
  ASSERT_TRUE(diff);
  EXPECT_NE(diff->find("personality"), std::string::npos) << *diff;
  EXPECT_TRUE(diff->find("args=[8,") != std::string::npos ||
              diff->find("args=[9,") != std::string::npos)
      << *diff;
  // And a changed action for an argument-free call.
  DiagnosticEngine diags;
  ir::SeccompPolicy p = seccomp_from_json(moby_profile(), opt, diags);
  for (ir::SyscallRule& r : p.rules)
    if (r.syscall == "getpid") r.action = err(EACCES);
  diff = first_difference(compile_with_libseccomp(p, {true, opt.kernel, true}), a, kX86Family, {});
  ASSERT_TRUE(diff);
  EXPECT_NE(diff->find("getpid"), std::string::npos) << *diff;
}

TEST(JsonExport, DockerAndOciWritersRoundTrip) {
  DiagnosticEngine diags;
  const JsonImportOptions opt = x86_64_host();
  ir::SeccompPolicy p = seccomp_from_json(moby_profile(), opt, diags);
  Program original = compile_with_libseccomp(p, {true, kKernel, true});
  json docker = to_docker_seccomp(p, kKernel);
  // The host's group first, then every other host architecture (tests/seccomp/docker_gates_test).
  ASSERT_GE(docker["archMap"].size(), 1u);
  EXPECT_EQ(docker["archMap"][0]["architecture"], "SCMP_ARCH_X86_64");
  EXPECT_EQ(docker["archMap"][0]["subArchitectures"], json({"SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(docker["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(docker["defaultErrnoRet"], 1);
  // Read back through both paths: the same decisions everywhere (the ENOSYS range included: the
  // oracle gets the stub runc would add).
  Program via_runc = compile_json_like_runc(docker, opt, /*enosys_stub=*/true);
  auto diff = first_difference(original, via_runc, kX86Family, json_constants(moby_profile()));
  EXPECT_FALSE(diff) << *diff;
  json oci = to_oci_seccomp(p, kKernel);
  EXPECT_EQ(oci["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  Program oci_runc = compile_json_like_runc(oci, opt, /*enosys_stub=*/true);
  diff = first_difference(original, oci_runc, kX86Family, json_constants(moby_profile()));
  EXPECT_FALSE(diff) << *diff;
  // Stable output: the same policy gives the same text.
  EXPECT_EQ(to_oci_seccomp(p, kKernel).dump(), oci.dump());
}

TEST(JsonExport, GroupsSortsAndSplitsConjunctions) {
  ir::SeccompPolicy p = policy_for(
      err(EPERM),
      {rule("write", allow()), rule("read", allow()), rule("clone3", err(ENOSYS)),
       rule("personality", allow(), {{cmp(0, ir::CmpOp::Eq, 8)}, {cmp(0, ir::CmpOp::Eq, 0)}}),
       rule("kill", allow(), {{cmp(1, ir::CmpOp::Eq, 9, ~0ULL, ir::ArgWidth::Bits32)}}),
       rule("getpid", err(EPERM))},
      {arch("x86_64")});
  json oci = to_oci_seccomp(p, kKernel);
  EXPECT_EQ(
      oci.dump(),
      R"({"architectures":["SCMP_ARCH_X86_64"],"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,)"
      R"("syscalls":[{"action":"SCMP_ACT_ALLOW","names":["read","write"]},)"
      R"({"action":"SCMP_ACT_ERRNO","errnoRet":38,"names":["clone3"]},)"
      R"({"action":"SCMP_ACT_ALLOW","args":[{"index":1,"op":"SCMP_CMP_MASKED_EQ","value":4294967295,"valueTwo":9}],"names":["kill"]},)"
      R"({"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_EQ","value":0,"valueTwo":0}],"names":["personality"]},)"
      R"({"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_EQ","value":8,"valueTwo":0}],"names":["personality"]}]})");
}

TEST(JsonExport, RulesForSomeArchitecturesOnlyAreRefused) {
  ir::SyscallRule r = rule("read", allow());
  r.arches = {arch("x86_64")};
  ir::SeccompPolicy p = policy_for(err(EPERM), {r}, kX86Family);
  try {
    to_oci_seccomp(p, kKernel);
    FAIL() << "a rule for x86_64 only was written as if for every arch";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'read'"), std::string::npos) << e.what();
  }
  // A syscall that exists only where the rule applies is fine (x86 has fstatat64 instead).
  ASSERT_FALSE(names::syscall_number("newfstatat", arch("x86")));
  ir::SyscallRule ap = rule("newfstatat", allow());
  ap.arches = {arch("x86_64"), arch("x32")};
  EXPECT_NO_THROW(to_docker_seccomp(policy_for(err(EPERM), {ap}, kX86Family), kKernel));
}
