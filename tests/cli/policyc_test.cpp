// policyc end to end: the real binary, real files, real outputs, checked against libseccomp's
// build of the same profiles.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/names.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/json.hpp"
#include "compiler/seccomp/program.hpp"
#include "support/runc_oracle.hpp"

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

// Runs `bin` with `args`, capturing stdout and stderr through files.
CliRun run_program(const std::string& bin, const std::vector<std::string>& args,
                   const fs::path& cwd = fs::current_path()) {
  fs::path dir = fs::temp_directory_path() / ("policyc-run-" + std::to_string(getpid()));
  fs::create_directories(dir);
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string b = bin;
    argv.push_back(b.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!freopen((dir / "out").c_str(), "w", stdout) ||
        !freopen((dir / "err").c_str(), "w", stderr))
      _exit(126);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execv(b.c_str(), argv.data());
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

// Runs policyc with `args`.
CliRun policyc(const std::vector<std::string>& args, const fs::path& cwd = fs::current_path()) {
  return run_program(env("POLICYC"), args, cwd);
}

// Runs policyc under timeout(1): a guard against quadratic work (exit 124 when it takes longer
// than `seconds`), not a benchmark.
CliRun policyc_within(unsigned seconds, const std::vector<std::string>& args) {
  std::vector<std::string> a = {std::to_string(seconds), env("POLICYC")};
  a.insert(a.end(), args.begin(), args.end());
  return run_program("/usr/bin/timeout", a);
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
      seccomp::compile_json_like_runc(json, importer::JsonImportOptions{}, /*enosys_stub=*/true);
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
      seccomp::compile_json_like_runc(json, importer::JsonImportOptions{}, /*enosys_stub=*/true);
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

// The --emit kinds are one table (driver::emit_table): the help, docs/cli.md and the files
// compile writes all list every kind of it.
TEST_F(Policyc, EveryEmitKindIsInTheHelpTheDocsAndTheOutput) {
  CliRun help = policyc({"compile", "--help"});
  ASSERT_EQ(help.status, 0) << help.err;
  std::string docs = slurp(src / "docs/cli.md");
  CliRun r = policyc(
      {"compile", (src / "policies/docker-default.pol").string(), "-o", (tmp / "all").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const driver::EmitKind& k : driver::emit_table()) {
    EXPECT_NE(help.out.find(k.name), std::string::npos) << k.name << " missing in\n" << help.out;
    EXPECT_NE(docs.find("| `" + std::string(k.name) + "` | `NAME" + k.file_suffix + "` |"),
              std::string::npos)
        << k.name << " has no row in docs/cli.md's --emit table";
    // The default set is all but the Kubernetes kinds, which `--emit k8s` writes.
    EXPECT_EQ(fs::exists(tmp / "all" / ("docker-default" + std::string(k.file_suffix))),
              k.by_default)
        << k.name;
  }
  r = policyc({"compile", (src / "policies/docker-default.pol").string(), "--emit", "k8s", "-o",
               (tmp / "k8s").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const driver::EmitKind& k : driver::emit_table())
    EXPECT_EQ(fs::exists(tmp / "k8s" / ("docker-default" + std::string(k.file_suffix))),
              std::string(k.group) == "k8s")
        << k.name;
  r = policyc({"compile", (src / "policies/docker-default.pol").string(), "--emit", "bogus"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("known kinds: " + driver::emit_kind_list()), std::string::npos) << r.err;
}

// $POLICY_PATH is read once, by the programs (driver::default_include_dirs), after -I.
TEST_F(Policyc, PolicyPathEnvironmentIsSearchedForIncludes) {
  fs::create_directories(tmp / "lib");
  std::ofstream(tmp / "lib/groups.pol") << "group @io { read }\n";
  std::ofstream(tmp / "web.pol")
      << "include \"groups.pol\"\npolicy web { syscalls { allow @io } }\n";
  CliRun r = policyc({"check", (tmp / "web.pol").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("add its directory with -I or POLICY_PATH"), std::string::npos) << r.err;
  setenv("POLICY_PATH", ("/nonexistent:" + (tmp / "lib").string()).c_str(), 1);
  r = policyc({"check", (tmp / "web.pol").string()});
  unsetenv("POLICY_PATH");
  EXPECT_EQ(r.status, 0) << r.err;
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
    auto j = nlohmann::json::parse(r.out);  // the report alone: `wrote` lines go to stderr
    ASSERT_TRUE(j["rules"].is_array());
    EXPECT_GT(j["rules"].size(), 10u);
    for (auto& rule : j["rules"]) {
      EXPECT_FALSE(rule["layers"].empty()) << rule.dump();
      EXPECT_TRUE(rule["status"] == "enforced" || rule["status"] == "partially" ||
                  rule["status"] == "not enforced" || rule["status"] == "granted");
    }
  }
}

// `policyc caps`: capsh (libcap2-bin) is the judge of what a mask means.
TEST_F(Policyc, CapsDecodePrintsWhatCapshPrints) {
  std::string capsh;
  for (const char* p : {"/usr/sbin/capsh", "/sbin/capsh", "/usr/bin/capsh"})
    if (access(p, X_OK) == 0) capsh = p;
  if (capsh.empty()) GTEST_SKIP() << "capsh (libcap2-bin) is not installed";
  for (const char* hex : {"00000000a80425fb", "0x0000000000000000", "0000003fffffffff",
                          "ffffffffffffffff", "0000000000200000", "0x20", "A80425FB"}) {
    CliRun ours = policyc({"caps", "decode", hex});
    CliRun theirs = run_program(capsh, {std::string("--decode=") + hex});
    ASSERT_EQ(ours.status, 0) << hex << ours.err;
    ASSERT_EQ(theirs.status, 0) << hex;
    EXPECT_EQ(ours.out, theirs.out) << hex;
    // --verbose: the same line, then one "CAP_NAME number" per set bit.
    CliRun v = policyc({"caps", "decode", hex, "--verbose"});
    ASSERT_EQ(v.status, 0) << v.err;
    ASSERT_EQ(v.out.substr(0, ours.out.size()), ours.out);
    uint64_t mask = *caps::parse_mask(hex);
    std::string expect;
    for (int cap = 0; cap < 64; ++cap)
      if ((mask >> cap) & 1)
        expect += (cap <= names::last_capability() ? names::capability_name(cap)
                                                   : std::string("(unnamed)")) +
                  " " + std::to_string(cap) + "\n";
    EXPECT_EQ(v.out.substr(ours.out.size()), expect) << hex;
  }
}

TEST_F(Policyc, CapsEncodeRoundTripsThroughDecode) {
  const uint64_t known = caps::all_mask();
  for (uint64_t mask : std::vector<uint64_t>{0xa80425fbULL, 0, known, 1ULL << 21, 3ULL << 19}) {
    CliRun d = policyc({"caps", "decode", caps::status_hex(mask)});
    ASSERT_EQ(d.status, 0) << d.err;
    // decode prints "0x<mask>=cap_a,cap_b"; encode takes that list back.
    std::string list = d.out.substr(d.out.find('=') + 1);
    list.pop_back();  // newline
    CliRun e = policyc({"caps", "encode", list.empty() ? "," : list});
    if (list.empty()) {
      EXPECT_EQ(e.status, 2);  // no names at all is a usage error
      continue;
    }
    ASSERT_EQ(e.status, 0) << list << e.err;
    EXPECT_EQ(e.out, caps::status_hex(mask) + "\n") << list;
  }
  // Any case, with or without CAP_, several arguments: Docker's 14.
  CliRun e = policyc({"caps", "encode", "chown,CAP_DAC_OVERRIDE,cap_fowner,FSETID,kill",
                      "SETGID,setuid,setpcap,net_bind_service,NET_RAW,sys_chroot,mknod",
                      "audit_write,setfcap"});
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(e.out, "00000000a80425fb\n");
  CliRun bad = policyc({"caps", "encode", "chown,sys_admn"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown capability 'sys_admn'; did you mean 'SYS_ADMIN'?"),
            std::string::npos)
      << bad.err;
  CliRun junk = policyc({"caps", "decode", "0xfffffffffffffffff"});
  EXPECT_EQ(junk.status, 2);
  EXPECT_NE(junk.err.find("is not a capability mask"), std::string::npos) << junk.err;
}

TEST_F(Policyc, ReportJsonIsAloneOnStdoutAndReportOnlyWritesNothing) {
  const std::string pol = (src / "policies/docker-default.pol").string();
  CliRun r = policyc({"compile", pol, "--report=json", "-o", tmp.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);  // throws if anything else is on stdout
  EXPECT_EQ(j["policy"], "docker-default");
  EXPECT_NE(r.err.find("wrote " + (tmp / "docker-default.bpf").string()), std::string::npos);
  EXPECT_NE(r.err.find("capabilities: CapBnd 00000000a80425fb"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(tmp / "docker-default.bpf"));
  // --report-only: the same report, no artifact, run in an empty directory.
  fs::path empty = tmp / "empty";
  fs::create_directories(empty);
  CliRun only = policyc({"compile", pol, "--report-only", "--report=json"}, empty);
  ASSERT_EQ(only.status, 0) << only.err;
  EXPECT_EQ(nlohmann::json::parse(only.out)["summary"], j["summary"]);
  EXPECT_TRUE(fs::is_empty(empty));
  EXPECT_EQ(only.err, "");
  CliRun both = policyc({"compile", pol, "--report-only", "-o", tmp.string()});
  EXPECT_EQ(both.status, 2);
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
  auto j = nlohmann::json::parse(r.out);  // the report alone: `wrote` lines go to stderr
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

// ---- Untrusted policies: bounded depth, bounded output, near-linear time (issue 10, 6-8) ----

namespace {

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// The four shapes that overflowed the stack: each is written into `dir`; returns the policy file
// and the diagnostic expected (its location and message start).
struct DeepPolicy {
  std::string name;
  fs::path file;
  std::string expect;
};

std::vector<DeepPolicy> deep_policies(const fs::path& dir) {
  std::vector<DeepPolicy> out;
  auto put = [&](const std::string& name, const std::string& text) {
    fs::path p = dir / name;
    std::ofstream(p) << text;
    return p;
  };
  const std::string head = "policy p {\n  syscalls default errno(EPERM) {\n    allow read(";
  // 10,000 parentheses: the condition inside the 256th '(' (column 16 + 256) is level 257.
  fs::path parens =
      put("parens.pol", head + repeat("(", 10000) + "fd == 0" + repeat(")", 10000) + ")\n  }\n}\n");
  out.push_back({"parens", parens,
                 parens.string() +
                     ":3:272: error: condition nested deeper than 256 levels of parentheses and "
                     "'not'; simplify it or split it into several rules"});
  // 100,000 `not`: the condition and 255 `not`s fit; the operand of the 256th `not` (column
  // 16 + 4 * 256) is one level too deep.
  fs::path nots = put("nots.pol", head + repeat("not ", 100000) + "fd == 0)\n  }\n}\n");
  out.push_back(
      {"not", nots, nots.string() + ":3:1040: error: condition nested deeper than 256 levels"});
  // A 20,000-deep group chain: @g1 > @g2 > ... ; @g65 (line 65) is one level too deep.
  std::string groups;
  for (int i = 1; i < 20000; ++i)
    groups += "group @g" + std::to_string(i) + " { @g" + std::to_string(i + 1) + " }\n";
  groups += "group @g20000 { read }\n";
  fs::path chain = put("groups.pol", groups +
                                         "policy p {\n  syscalls default errno(EPERM) {\n"
                                         "    allow @g1\n  }\n}\n");
  out.push_back({"groups", chain,
                 chain.string() +
                     ":65:7: error: groups nested deeper than 64 levels (@g1 > ... > @g65); list "
                     "the syscalls of the deepest groups directly"});
  // A 2,000-deep include chain: inc0 includes inc1 ... ; the include in inc63.pol is the 65th
  // file.
  for (int i = 1; i < 2000; ++i)
    put("inc" + std::to_string(i) + ".pol", "include \"inc" + std::to_string(i + 1) +
                                                ".pol\"\ngroup @i" + std::to_string(i) +
                                                " { read }\n");
  put("inc2000.pol", "group @last { read }\n");
  fs::path inc = put("inc0.pol",
                     "include \"inc1.pol\"\npolicy p {\n  syscalls default errno(EPERM) "
                     "{\n    allow read\n  }\n}\n");
  out.push_back({"includes", inc,
                 (dir / "inc63.pol").string() +
                     ":1:9: error: includes nested deeper than 64 files; include the files from "
                     "fewer levels"});
  return out;
}

}  // namespace

TEST_F(Policyc, DeepNestingIsADiagnosticNotACrash) {
  for (const DeepPolicy& d : deep_policies(tmp)) {
    CliRun r = policyc({"check", d.file.string()});
    EXPECT_EQ(r.status, 1) << d.name << ": " << r.err.substr(0, 2000);
    EXPECT_NE(r.err.find(d.expect), std::string::npos) << d.name << ": " << r.err.substr(0, 2000);
  }
}

TEST_F(Policyc, PolicyrunRefusesDeepNestingWithExit125BeforeTheImage) {
  fs::path image = tmp / "image", root = tmp / "root";
  fs::create_directories(image);  // never read: the policy is compiled first
  for (const DeepPolicy& d : deep_policies(tmp)) {
    CliRun r = run_program(env("POLICYRUN"), {"--root", root.string(), "--no-policy-cache",
                                              "--policy", d.file.string(), image.string(), "true"});
    EXPECT_EQ(r.status, 125) << d.name << ": " << r.err.substr(0, 2000);
    EXPECT_NE(r.err.find(d.expect), std::string::npos) << d.name << ": " << r.err.substr(0, 2000);
  }
  EXPECT_FALSE(fs::exists(root / "images")) << "the image was touched";
}

TEST_F(Policyc, ManyErrorsOnOneLongLineStopAtTheErrorLimitWithCutLines) {
  // 10,000 unknown syscalls of 100 bytes each on one 1 MB line.
  std::string line = "    allow ";
  for (int i = 0; i < 10000; ++i) {
    std::string name = "bogus" + std::to_string(100000 + i);
    name += std::string(98 - name.size(), 'x');
    line += name + (i + 1 < 10000 ? ", " : "");
  }
  fs::path p =
      write("many.pol", "policy many {\n  syscalls default errno(EPERM) {\n" + line + "\n  }\n}\n");
  CliRun r = policyc_within(60, {"check", p.string()});
  EXPECT_EQ(r.status, 1) << r.err.substr(0, 4000);
  EXPECT_LT(r.err.size(), 16u * 1024) << r.err.substr(0, 4000);
  std::string first_name = "bogus100000" + std::string(87, 'x');
  EXPECT_EQ(r.err.rfind(p.string() + ":3:11: error: unknown syscall '" + first_name.substr(0, 64) +
                            "...' (98 bytes)\n" + line.substr(0, 120) + "...\n" +
                            std::string(10, ' ') + "^\n",
                        0),
            0u)
      << r.err.substr(0, 4000);
  // The second error is 100 bytes further: the window starts 60 bytes before it.
  EXPECT_NE(r.err.find(p.string() + ":3:111: error: unknown syscall 'bogus100001"),
            std::string::npos);
  EXPECT_NE(r.err.find("\n..." + line.substr(50, 120) + "...\n" + std::string(63, ' ') + "^\n"),
            std::string::npos)
      << r.err.substr(0, 4000);
  EXPECT_NE(r.err.find("fatal error: too many errors emitted, stopping now [--error-limit=20]: "
                       "9980 more not shown; --error-limit 0 shows them all\n"),
            std::string::npos)
      << r.err.substr(r.err.size() > 1000 ? r.err.size() - 1000 : 0);
  EXPECT_NE(r.err.find("10000 errors generated.\n"), std::string::npos);

  CliRun three = policyc({"check", p.string(), "--error-limit", "3"});
  EXPECT_EQ(three.status, 1);
  EXPECT_NE(three.err.find("[--error-limit=3]: 9997 more not shown"), std::string::npos)
      << three.err.substr(0, 4000);
  size_t errors = 0;
  for (size_t at = three.err.find(": error: "); at != std::string::npos;
       at = three.err.find(": error: ", at + 1))
    ++errors;
  EXPECT_EQ(errors, 3u);

  CliRun all = policyc({"check", p.string(), "--error-limit", "0"});
  EXPECT_EQ(all.status, 1);
  EXPECT_EQ(all.err.find("too many errors"), std::string::npos);
  EXPECT_NE(all.err.find(":3:999911: error: unknown syscall 'bogus109999"), std::string::npos);
}

TEST_F(Policyc, PolicyrunTakesAnErrorLimit) {
  std::string line = "    allow ";
  for (int i = 0; i < 50; ++i) line += "nosuch" + std::to_string(i) + ", ";
  line += "read";
  fs::path p = write("fifty.pol",
                     "policy fifty {\n  syscalls default errno(EPERM) {\n" + line + "\n  }\n}\n");
  fs::path image = tmp / "image", root = tmp / "root";
  fs::create_directories(image);
  CliRun r =
      run_program(env("POLICYRUN"), {"--root", root.string(), "--no-policy-cache", "--error-limit",
                                     "2", "--policy", p.string(), image.string(), "true"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("[--error-limit=2]: 48 more not shown"), std::string::npos) << r.err;
  r = run_program(env("POLICYRUN"), {"--root", root.string(), "--no-policy-cache", "--policy",
                                     p.string(), image.string(), "true"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("[--error-limit=20]: 30 more not shown"), std::string::npos) << r.err;
}

TEST_F(Policyc, HugeUnknownIdentifierFailsQuicklyWithAShortMessage) {
  // The did-you-mean search compared a 1 MB word with every syscall name (41 s before the fix).
  std::string word(1 << 20, 'a');
  fs::path p = write("huge.pol", "policy huge {\n  syscalls default errno(EPERM) {\n    allow " +
                                     word + "\n  }\n}\n");
  CliRun r = policyc_within(20, {"check", p.string()});
  EXPECT_EQ(r.status, 1) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find(p.string() + ":3:11: error: unknown syscall '" + std::string(64, 'a') +
                       "...' (1048576 bytes)\n"),
            std::string::npos)
      << r.err.substr(0, 2000);
  EXPECT_LT(r.err.size(), 4096u);
}

TEST_F(Policyc, HundredThousandElementSetsFailQuicklyWithTheLimit) {
  // `in` and `not in` sets deduplicated their values with a search of the whole list per value
  // (19 s for 100k in `check`), and the backends were then handed 100k comparisons (`compile`
  // ran for 8 minutes and crashed). The condition's size is now checked in linear time.
  auto set_policy = [&](const std::string& name, const std::string& op, int n) {
    std::string values;
    for (int i = 0; i < n; ++i) values += (i ? ", " : "") + std::to_string(i);
    return write(name,
                 "policy s {\n  syscalls default errno(EPERM) {\n"
                 "    allow read, write, exit_group\n"
                 "    allow personality(persona " +
                     op + " {" + values + "})\n  }\n}\n");
  };
  fs::path in = set_policy("in.pol", "in", 100000);
  CliRun r = policyc_within(20, {"compile", in.string(), "-o", (tmp / "in").string()});
  EXPECT_NE(r.status, 124) << "timed out";
  EXPECT_EQ(r.status, 1) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find(in.string() + ":4:23: error: the argument condition has more than 1024 "
                                     "alternatives in normal form; split it into several rules"),
            std::string::npos)
      << r.err.substr(0, 2000);
  fs::path not_in = set_policy("notin.pol", "not in", 100000);
  r = policyc_within(20, {"compile", not_in.string(), "-o", (tmp / "notin").string()});
  EXPECT_NE(r.status, 124) << "timed out";
  EXPECT_EQ(r.status, 1) << r.err.substr(0, 2000);
  EXPECT_NE(r.err.find(not_in.string() +
                       ":4:23: error: the argument condition has 100000 comparisons in normal "
                       "form, more than the 4096 instructions a seccomp filter can hold; split it "
                       "into several rules"),
            std::string::npos)
      << r.err.substr(0, 2000);
  // Below the limits, a large set compiles (and its duplicates count once).
  fs::path ok = set_policy("ok.pol", "in", 1000);
  r = policyc_within(20, {"compile", ok.string(), "--emit", "bpf", "-o", (tmp / "ok").string()});
  EXPECT_EQ(r.status, 0) << r.err.substr(0, 2000);
}

// ---- Read errors and import (issue 10, 9 and 16) ----

TEST_F(Policyc, EveryIncludeReadErrorIsAnErrorAtTheInclude) {
  auto policy_including = [&](const std::string& name, const std::string& target) {
    return write(name, "include \"" + target +
                           "\"\npolicy p {\n  syscalls default errno(EPERM) {\n    allow read\n"
                           "  }\n}\n");
  };
  // /proc/self/mem is a regular file whose read fails (EIO at offset 0): it compiled as empty.
  fs::path mem = policy_including("mem.pol", "/proc/self/mem");
  CliRun r = policyc({"check", mem.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(mem.string() + ":1:9: error: cannot read included file '/proc/self/mem': "
                                      "read: Input/output error"),
            std::string::npos)
      << r.err;

  fs::create_directories(tmp / "adir.pol");
  fs::path dir = policy_including("dir.pol", "adir.pol");
  r = policyc({"check", dir.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(
      r.err.find(dir.string() + ":1:9: error: cannot include '" + (tmp / "adir.pol").string() +
                 "': it is a directory; an include names a regular policy file"),
      std::string::npos)
      << r.err;

  // A FIFO would block the compiler forever: refused without opening it.
  ASSERT_EQ(mkfifo((tmp / "fifo.pol").c_str(), 0600), 0);
  fs::path fifo = policy_including("fifo.pol.main", "fifo.pol");
  r = policyc_within(20, {"check", fifo.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(
      r.err.find(":1:9: error: cannot include '" + (tmp / "fifo.pol").string() + "': it is a FIFO"),
      std::string::npos)
      << r.err;

  // A 17 MiB (sparse) file is over the 16 MiB a policy file may have.
  { std::ofstream big(tmp / "big.pol"); }
  fs::resize_file(tmp / "big.pol", 17u << 20);
  fs::path huge = policy_including("huge.pol", "big.pol");
  r = policyc({"check", huge.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(":1:9: error: cannot read included file '" + (tmp / "big.pol").string() +
                       "': it is 17825792 bytes, more than the 16 MiB a policy file may have"),
            std::string::npos)
      << r.err;
  // The same checks hold for the file named on the command line.
  r = policyc_within(20, {"check", (tmp / "fifo.pol").string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("it is a FIFO, not a regular file"), std::string::npos) << r.err;
}

TEST_F(Policyc, ImportRefusesGarbageSignalAndPtracePermissions) {
  struct Case {
    const char* rule;
    const char* expect;
  } cases[] = {
      {"  signal (send, frobnicate) peer=x,\n",
       ":3:10: error: unknown signal permission 'frobnicate' (AppArmor knows send, receive, r, w, "
       "rw, read, write); fix the profile"},
      {"  ptrace (readby, xyz),\n",
       ":3:10: error: unknown ptrace permission 'xyz' (AppArmor knows read, readby, trace, "
       "tracedby, r, w, rw); fix the profile"},
  };
  for (const Case& c : cases) {
    fs::path profile =
        write("garbage.apparmor", std::string("profile garbage {\n  file,\n") + c.rule + "}\n");
    fs::path out = tmp / "garbage.pol";
    CliRun r = policyc({"import", profile.string(), "-o", out.string()});
    EXPECT_EQ(r.status, 1) << c.rule << r.err;
    EXPECT_NE(r.err.find(profile.string() + c.expect), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << c.rule;
    EXPECT_FALSE(fs::exists(out.string() + ".tmp")) << c.rule;
  }
  // AppArmor's short forms are mapped to the policy language's words, and the result compiles.
  fs::path ok =
      write("short.apparmor",
            "profile short {\n  file,\n  signal (r, w) peer=x,\n  ptrace (rw, readby),\n}\n");
  CliRun r = policyc({"import", ok.string(), "-o", (tmp / "short.pol").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string text = slurp(tmp / "short.pol");
  EXPECT_NE(text.find("signal (receive, send) peer=x"), std::string::npos) << text;
  EXPECT_NE(text.find("ptrace (read, trace, readby)"), std::string::npos) << text;
  EXPECT_EQ(policyc({"check", (tmp / "short.pol").string()}).status, 0);
}

TEST_F(Policyc, ImportChecksWhatItWritesAndWritesNothingWhenItDoesNotCompile) {
  // --base names a policy that does not exist: the written text cannot compile, so import fails
  // with the compiler's diagnostics and leaves no file.
  fs::path profile = shared / "data/profiles/moby-default.seccomp.json";
  fs::path out = tmp / "imported.pol";
  CliRun r = policyc({"import", profile.string(), "--base", "no-such-base", "-o", out.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find(out.string() + ":4:9: error: cannot find included file 'no-such-base.pol'"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("does not compile (above); nothing was written"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
}

// Every file policyc writes appears whole or not at all (driver::write_files_atomically): when
// the last step, the rename, fails, neither the target nor a temporary file is left.
TEST_F(Policyc, AFailedWriteLeavesNoTemporaryFile) {
  fs::path profile = shared / "data/profiles/moby-default.seccomp.json";
  fs::path dir = tmp / "atomic";
  fs::path out = dir / "taken.pol";
  fs::create_directories(out / "inside");  // a non-empty directory: rename() onto it fails
  CliRun r = policyc({"import", profile.string(), "-o", out.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("policyc: error: cannot replace: " + out.string()), std::string::npos)
      << r.err;
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"taken.pol"});
  // compile: the same for its artifacts, all of them or none.
  fs::create_directories(dir / "docker-default.bpf" / "inside");
  r = policyc({"compile", (src / "policies/docker-default.pol").string(), "--emit", "caps,bpf",
               "-o", dir.string()});
  EXPECT_EQ(r.status, 1) << r.err;
  left.clear();
  for (const auto& e : fs::directory_iterator(dir)) left.push_back(e.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"docker-default.bpf", "taken.pol"}));
}

TEST_F(Policyc, SeccompImportSaysItHasNoNamespacesAndBaseDockerDefaultGivesThem) {
  fs::path profile = shared / "data/profiles/moby-default.seccomp.json";
  CliRun r = policyc({"import", profile.string(), "-o", (tmp / "bare.pol").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("policyc import: note: " + profile.string() +
                       " is a seccomp profile: the policy has no namespaces"),
            std::string::npos)
      << r.err;
  EXPECT_NE(slurp(tmp / "bare.pol").find("# A seccomp profile has no namespaces"),
            std::string::npos);

  r = policyc(
      {"import", profile.string(), "--base", "docker-default", "-o", (tmp / "based.pol").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;
  std::string text = slurp(tmp / "based.pol");
  EXPECT_NE(text.find("include \"docker-default.pol\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" extends docker-default {\n"), std::string::npos) << text;
  r = policyc({"compile", (tmp / "based.pol").string(), "--emit", "plan,bpf", "-o",
               (tmp / "out").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  fs::path plan_file;
  for (auto& e : fs::directory_iterator(tmp / "out"))
    if (e.path().string().ends_with(".plan.json")) plan_file = e.path();
  auto plan = nlohmann::json::parse(slurp(plan_file));
  std::string ns = plan.dump();
  for (const char* n : {"\"mount\"", "\"pid\"", "\"ipc\"", "\"uts\"", "\"net\""})
    EXPECT_NE(ns.find(n), std::string::npos) << n << " missing from " << plan_file;
  // Docker's profile and docker-default's rules combine to Docker's filter.
  seccomp::Program ours = seccomp::read_program((tmp / "out/moby-default-seccomp.bpf").string());
  auto json = nlohmann::json::parse(slurp(profile));
  // The oracle gets the ENOSYS stub for numbers above libseccomp's tables (docs/seccomp.md).
  seccomp::Program docker =
      seccomp::compile_json_like_runc(json, importer::JsonImportOptions{}, /*enosys_stub=*/true);
  auto diff = seccomp::first_difference(ours, docker, names::default_target_arches(),
                                        interesting_values(json));
  EXPECT_FALSE(diff) << *diff;
}

TEST_F(Policyc, PolicyThatAllowsNoSyscallIsWarnedAbout) {
  fs::path p = write("none.pol", "policy none {\n  syscalls default errno(EPERM) {\n  }\n}\n");
  CliRun r = policyc({"check", p.string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find(p.string() +
                       ":2:3: warning: the seccomp filter allows no system call (default "
                       "errno(EPERM)): it is installed just before execve, which it refuses, so "
                       "the command never starts and the launch dies at its next system call; "
                       "allow the calls the program needs [-Wall-syscalls-refused]"),
            std::string::npos)
      << r.err;
  r = policyc({"check", p.string(), "-Wno-all-syscalls-refused"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  // An AppArmor profile has no syscalls: the import says so through the same warning.
  fs::path profile = write("aa.apparmor", "profile aa {\n  file,\n}\n");
  r = policyc({"import", profile.string(), "-o", (tmp / "aa.pol").string()});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("[-Wall-syscalls-refused]"), std::string::npos) << r.err;
}
