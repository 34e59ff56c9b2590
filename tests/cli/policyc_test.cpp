// policyc end to end: the real binary, real files, real outputs, checked against libseccomp's
// build of the same profiles.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/caps/capabilities.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/json.hpp"
#include "compiler/seccomp/program.hpp"

namespace fs = std::filesystem;
using namespace policy;

namespace {

struct CliRun {
  int status = -1;
  std::string out, err;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string("test environment lacks ") + name);
  return v;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs policyc with `args`, capturing stdout and stderr through files.
CliRun policyc(const std::vector<std::string>& args, const fs::path& cwd = fs::current_path()) {
  fs::path dir = fs::temp_directory_path() / ("policyc-run-" + std::to_string(getpid()));
  fs::create_directories(dir);
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = env("POLICYC");
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!freopen((dir / "out").c_str(), "w", stdout) ||
        !freopen((dir / "err").c_str(), "w", stderr))
      _exit(126);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  CliRun r;
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  fs::remove_all(dir);
  return r;
}

class Policyc : public ::testing::Test {
 protected:
  void SetUp() override {
    src = env("POLICY_SOURCE_DIR");
    shared = env("POLICY_SHARED_DIR");
    char tmpl[] = "/tmp/policyc-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp = tmpl;
  }
  void TearDown() override { fs::remove_all(tmp); }
  fs::path write(const std::string& name, const std::string& text) {
    fs::path p = tmp / name;
    std::ofstream(p) << text;
    return p;
  }
  std::vector<uint64_t> interesting_values(const nlohmann::json& profile) {
    std::vector<uint64_t> v = {0, 1, 0xffffffffULL, 0x100000000ULL, ~0ULL};
    for (auto& s : profile["syscalls"])
      if (s.contains("args") && s["args"].is_array())
        for (auto& a : s["args"]) {
          uint64_t x = a["value"].get<uint64_t>();
          for (uint64_t d : std::initializer_list<uint64_t>{x - 1, x, x + 1, x | 0x100000000ULL})
            v.push_back(d);
          if (a.contains("valueTwo")) v.push_back(a["valueTwo"].get<uint64_t>());
        }
    return v;
  }
  fs::path src, shared, tmp;
};

}  // namespace

TEST_F(Policyc, CompileDockerDefaultEqualsLibseccompBuildOfDockersProfile) {
  CliRun r = policyc(
      {"compile", (src / "policies/docker-default.pol").string(), "-o", (tmp / "out").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f :
       {"docker-default.bpf", "docker-default.oci-seccomp.json",
        "docker-default.docker-seccomp.json", "docker-default.caps.txt", "docker-default.caps.json",
        "docker-default.apparmor", "docker-default.plan.json"})
    EXPECT_TRUE(fs::exists(tmp / "out" / f)) << f;
  EXPECT_NE(r.out.find("CapBnd 00000000a80425fb"), std::string::npos) << r.out;

  seccomp::Program ours = seccomp::read_program((tmp / "out/docker-default.bpf").string());
  auto json = nlohmann::json::parse(slurp(shared / "data/profiles/moby-default.seccomp.json"));
  // The oracle gets the ENOSYS stub for numbers above libseccomp's tables (docs/seccomp.md).
  seccomp::Program docker =
      seccomp::compile_json_like_runc(json, seccomp::JsonImportOptions{}, /*enosys_stub=*/true);
  auto diff = seccomp::first_difference(ours, docker, names::default_target_arches(),
                                        interesting_values(json));
  EXPECT_FALSE(diff) << *diff;
}

TEST_F(Policyc, TypoInSyscallNameIsReportedAtItsColumnWithSuggestion) {
  fs::path p = write("typo.pol",
                     "policy typo {\n"
                     "  syscalls default errno(EPERM) {\n"
                     "    allow read, opn, write\n"
                     "  }\n"
                     "}\n");
  CliRun r = policyc({"compile", p.string(), "-o", (tmp / "out").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(p.string() + ":3:17: error: unknown syscall 'opn'"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("    allow read, opn, write\n                ^"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("did you mean 'open'?"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out") && !fs::is_empty(tmp / "out"));
}

TEST_F(Policyc, BadPoliciesOfEveryKindFailWithLocationAndWriteNothing) {
  struct Case {
    const char* name;
    const char* text;
    const char* expect;  // substring of stderr
  } cases[] = {
      {"syntax", "policy a {\n  syscalls default errno(EPERM) {\n    allow read\n  \n}\n",
       "syntax.pol:"},
      {"cap", "policy a {\n  capabilities keep { CHWON }\n}\n", "unknown capability 'CHWON'"},
      {"conflict", "policy a {\n  syscalls {\n    allow read\n    kill read\n  }\n}\n",
       "conflicting"},
      {"group", "policy a {\n  syscalls {\n    allow @basic-iox\n  }\n}\n", "@basic-iox"},
      {"const", "policy a {\n  syscalls {\n    allow socket(domain == AF_INETT)\n  }\n}\n",
       "AF_INETT"},
      {"errno", "policy a {\n  syscalls default errno(EPREM) {\n  }\n}\n", "EPREM"},
      {"base", "policy a extends nosuchbase {\n}\n", "nosuchbase"},
  };
  for (const Case& c : cases) {
    fs::path p = write(std::string(c.name) + ".pol", c.text);
    fs::path out = tmp / (std::string("out-") + c.name);
    CliRun r = policyc({"compile", p.string(), "-o", out.string()});
    EXPECT_EQ(r.status, 1) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find(": error: "), std::string::npos) << c.name << ": " << r.err;
    EXPECT_TRUE(!fs::exists(out) || fs::is_empty(out)) << c.name << " left files behind";
  }
  CliRun missing = policyc({"compile", (tmp / "nope.pol").string(), "-o", (tmp / "o").string()});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("nope.pol"), std::string::npos) << missing.err;
}

TEST_F(Policyc, UsageErrorsExitTwo) {
  EXPECT_EQ(policyc({}).status, 2);
  EXPECT_EQ(policyc({"frobnicate"}).status, 2);
  CliRun r = policyc({"compile", (src / "policies/docker-default.pol").string(), "--arch", "amd46",
                      "-o", (tmp / "o").string()});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("unknown architecture 'amd46'"), std::string::npos) << r.err;
  EXPECT_EQ(
      policyc({"compile", (src / "policies/docker-default.pol").string(), "--backend", "x"}).status,
      2);
}

TEST_F(Policyc, ExplainRunsTheCompiledFilter) {
  std::string pol = (src / "policies/docker-default.pol").string();
  CliRun r = policyc({"explain", pol, "personality", "0xffffffff"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find(": allow\n"), std::string::npos) << r.out;
  r = policyc({"explain", pol, "personality", "4"});
  EXPECT_NE(r.out.find(": errno(EPERM)\n"), std::string::npos) << r.out;
  r = policyc({"explain", pol, "clone3"});
  EXPECT_NE(r.out.find(": errno(ENOSYS)\n"), std::string::npos) << r.out;
  r = policyc({"explain", pol, "clone", "CLONE_NEWUSER"});
  EXPECT_NE(r.out.find(": errno(EPERM)\n"), std::string::npos) << r.out;
  r = policyc({"explain", pol, "socketcall", "--arch", "x86"});
  EXPECT_NE(r.out.find("on x86"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": allow\n"), std::string::npos) << r.out;
  r = policyc({"explain", pol, "mount"});
  EXPECT_NE(r.out.find(": errno(EPERM)\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CAP_SYS_ADMIN"), std::string::npos) << r.out;
  // libseccomp's filter of Docker's default (x86 included: socketcall widened, as runc does).
  r = policyc({"explain", pol, "personality", "0x20008", "--backend", "libseccomp"});
  EXPECT_NE(r.out.find(": allow\n"), std::string::npos) << r.out << r.err;
  // Every backend's filter gives the same answers.
  fs::path small =
      write("persona.pol",
            "policy persona {\n  syscalls default errno(EACCES) {\n"
            "    allow personality(persona in {0, 0x20008})\n    kill-process ptrace\n  }\n}\n");
  for (const char* backend : {"default", "libseccomp", "libseccomp-linear"}) {
    r = policyc({"explain", small.string(), "personality", "0x20008", "--backend", backend});
    EXPECT_NE(r.out.find(": allow\n"), std::string::npos) << backend << r.out << r.err;
    r = policyc({"explain", small.string(), "personality", "8", "--backend", backend});
    EXPECT_NE(r.out.find(": errno(EACCES)\n"), std::string::npos) << backend << r.out << r.err;
    r = policyc({"explain", small.string(), "ptrace", "--backend", backend, "--arch", "x32"});
    EXPECT_NE(r.out.find(": kill-process\n"), std::string::npos) << backend << r.out << r.err;
  }
}

TEST_F(Policyc, DisasmListsTheFilter) {
  ASSERT_EQ(policyc({"compile", (src / "policies/docker-default.pol").string(), "--emit", "bpf",
                     "-o", tmp.string()})
                .status,
            0);
  CliRun r = policyc({"disasm", (tmp / "docker-default.bpf").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("x86_64"), std::string::npos);
  EXPECT_NE(r.out.find("errno(EPERM)"), std::string::npos);
  write("bad.bpf", "12345");
  r = policyc({"disasm", (tmp / "bad.bpf").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("bad.bpf"), std::string::npos) << r.err;
}

// Import a profile, compile the written policy, and compare with libseccomp's build of the profile.
static void import_and_compare(Policyc* t, const fs::path& profile, const fs::path& tmp,
                               const std::vector<uint64_t>& values) {
  fs::path pol = tmp / (profile.stem().string() + ".pol");
  CliRun r = policyc({"import", profile.string(), "-o", pol.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  r = policyc({"compile", pol.string(), "--emit", "bpf", "-o", (tmp / "imported").string()});
  ASSERT_EQ(r.status, 0) << r.err << "\n" << slurp(pol);
  std::string stem = "";
  for (auto& e : fs::directory_iterator(tmp / "imported")) stem = e.path().string();
  seccomp::Program ours = seccomp::read_program(stem);
  auto json = nlohmann::json::parse(slurp(profile));
  seccomp::Program oracle =
      seccomp::compile_json_like_runc(json, seccomp::JsonImportOptions{}, /*enosys_stub=*/true);
  auto diff = seccomp::first_difference(ours, oracle, names::default_target_arches(), values);
  EXPECT_FALSE(diff) << profile << ": " << *diff;
  (void)t;
}

TEST_F(Policyc, ImportedDockerProfileCompilesToDockersFilter) {
  fs::path profile = shared / "data/profiles/moby-default.seccomp.json";
  auto json = nlohmann::json::parse(slurp(profile));
  import_and_compare(this, profile, tmp, interesting_values(json));
  std::string text = slurp(tmp / "moby-default.seccomp.pol");
  EXPECT_NE(text.find("when capability SYS_ADMIN"), std::string::npos) << text;
  EXPECT_NE(text.find("capabilities keep {"), std::string::npos) << text;
}

TEST_F(Policyc, ImportedUnseenProfileCompilesToLibseccompsFilter) {
  // Podman's default profile, from Debian's golang-github-containers-common: never used to write
  // this project, and with rules Docker's lacks (socket with two conditions, errno rules on caps).
  fs::path profile = "/usr/share/containers/seccomp.json";
  ASSERT_TRUE(fs::exists(profile))
      << "install golang-github-containers-common (tools/install-deps)";
  auto json = nlohmann::json::parse(slurp(profile));
  import_and_compare(this, profile, tmp, interesting_values(json));
}

TEST_F(Policyc, CheckPrintsSummaryAndWarnings) {
  CliRun r = policyc({"check", (src / "policies/docker-default.pol").string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("policy 'docker-default'"), std::string::npos) << r.out;
  fs::path p =
      write("dup.pol", "policy d {\n  syscalls {\n    allow read\n    allow read\n  }\n}\n");
  r = policyc({"check", p.string()});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.err.find("[-Wshadowed-rule]"), std::string::npos) << r.err;
  r = policyc({"check", p.string(), "-Werror"});
  EXPECT_EQ(r.status, 1);
  r = policyc({"check", p.string(), "-Wno-shadowed-rule"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err.find("shadowed"), std::string::npos) << r.err;
}

TEST_F(Policyc, CapabilityMasksMatchCapshDecode) {
  CliRun r = policyc({"compile", (src / "policies/docker-default.pol").string(), "--emit", "caps",
                      "-o", tmp.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string caps = slurp(tmp / "docker-default.caps.txt");
  EXPECT_NE(caps.find("00000000a80425fb"), std::string::npos) << caps;
}

TEST_F(Policyc, ReportAccountsForEveryRule) {
  for (const char* pol : {"docker-default.pol", "web.pol"}) {
    CliRun r = policyc({"compile", (src / "policies" / pol).string(), "--report=json", "--emit",
                        "bpf", "-o", tmp.string()});
    ASSERT_EQ(r.status, 0) << pol << r.err;
    auto j = nlohmann::json::parse(r.out.substr(0, r.out.rfind("}\n") + 2));
    ASSERT_TRUE(j["rules"].is_array());
    EXPECT_GT(j["rules"].size(), 10u);
    for (auto& rule : j["rules"]) {
      EXPECT_FALSE(rule["layers"].empty()) << rule.dump();
      EXPECT_TRUE(rule["status"] == "enforced" || rule["status"] == "partially" ||
                  rule["status"] == "not enforced");
    }
  }
}

TEST_F(Policyc, ImportedAppArmorKeepsExecModes) {
  fs::path profile = write("t.apparmor",
                           "profile t {\n  /usr/bin/a px,\n  /usr/bin/b rix,\n"
                           "  /usr/bin/c Cx -> child,\n  file,\n}\n");
  CliRun r = policyc({"import", profile.string(), "-o", (tmp / "t.pol").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string text = slurp(tmp / "t.pol");
  EXPECT_NE(text.find("    px /usr/bin/a\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    rix /usr/bin/b\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    Cx /usr/bin/c  # AppArmor exec target child (not expressible)\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(policyc({"check", (tmp / "t.pol").string()}).status, 0);
}

TEST_F(Policyc, ReportPutsEachLsmRuleInItsSection) {
  CliRun r = policyc({"compile", (src / "policies/docker-default.pol").string(), "--report=json",
                      "--emit", "bpf", "-o", tmp.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out.substr(0, r.out.rfind("}\n") + 2));
  bool saw_allow_all = false, saw_network = false;
  for (auto& rule : j["rules"]) {
    if (rule["rule"] == "allow all") {
      saw_allow_all = true;
      EXPECT_EQ(rule["section"], "filesystem");
    }
    if (rule["section"] == "network") saw_network = true;
  }
  EXPECT_TRUE(saw_allow_all);
  EXPECT_TRUE(saw_network);
}
