// The real policyc binary: docs/audit.md's audits are what it prints today (a stale doc fails
// with a diff and the command that updates it), the JSON output parses, and the exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

struct CliRun {
  int status = -1;
  std::string out, err;
};

// `policyc audit ARGS` from the source tree.
CliRun audit(const std::vector<std::string>& args) {
  const fs::path dir = fs::temp_directory_path() / ("audit-doc-" + std::to_string(getpid()));
  fs::create_directories(dir);
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<std::string> all = {std::getenv("POLICYC"), "audit"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!freopen((dir / "out").c_str(), "w", stdout) ||
        !freopen((dir / "err").c_str(), "w", stderr) ||
        chdir(std::getenv("POLICY_SOURCE_DIR")) != 0)
      _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  CliRun r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(dir / "out");
  r.err = slurp(dir / "err");
  fs::remove_all(dir);
  return r;
}

// Podman's default capabilities, from containers.conf (never typed here).
std::string podman_caps() {
  const std::string text = slurp("/usr/share/containers/containers.conf");
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(R"(\ndefault_capabilities\s*=\s*\[([^\]]*)\])")))
    return "";
  std::string list;
  const std::string body = m[1];
  std::regex name("\"([A-Z_]+)\"");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), name); it != std::sregex_iterator();
       ++it)
    list += (list.empty() ? "" : ",") + (*it)[1].str();
  return list;
}

std::string expected_block(const std::vector<std::string>& args) {
  const CliRun r = audit(args);
  std::string out = r.out;
  if (r.status != 0 && r.status != 3) {
    std::istringstream err(r.err);
    for (std::string line; std::getline(err, line);)
      if (line.rfind("policyc", 0) == 0) out += line + "\n";
    out += "(exit " + std::to_string(r.status) + ")\n";
  }
  return out;
}

TEST(AuditDoc, ShowsWhatPolicycPrints) {
  const std::string src = std::getenv("POLICY_SOURCE_DIR");
  const std::string doc = slurp(src + "/docs/audit.md");
  const std::regex block(R"(<!-- audit: (.*?) -->\n```text\n([\s\S]*?)```\n)");
  std::vector<std::string> shown;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator();
       ++it) {
    std::vector<std::string> args;
    std::istringstream words((*it)[1].str());
    for (std::string w; words >> w;) args.push_back(w == "@podman" ? podman_caps() : w);
    shown.push_back(args.front());
    if (args.front().rfind("/usr/share/containers/", 0) == 0 && !fs::exists(args.front())) {
      ADD_FAILURE() << args.front() << " is missing: install golang-github-containers-common";
      continue;
    }
    const std::string want = expected_block(args);
    if (want != (*it)[2].str()) {
      const fs::path tmp = fs::temp_directory_path() / "audit-doc-expected.txt";
      std::ofstream(tmp) << want;
      ADD_FAILURE() << "docs/audit.md is stale for `policyc audit " << (*it)[1].str()
                    << "`; run tools/update-audit-doc build/policyc. Expected block in " << tmp
                    << ":\n"
                    << want;
    }
  }
  // Docker's, Podman's and every shipped policy.
  std::vector<std::string> want = {"policies/reference/moby-default.seccomp.json",
                                   "/usr/share/containers/seccomp.json"};
  for (const auto& e : fs::directory_iterator(src + "/policies"))
    if (e.path().extension() == ".pol") want.push_back("policies/" + e.path().filename().string());
  for (const std::string& w : want)
    EXPECT_NE(std::find(shown.begin(), shown.end(), w), shown.end()) << w << " not in the doc";
}

TEST(AuditCli, JsonParsesAndExitCodes) {
  const CliRun j = audit({"policies/web.pol", "--format", "json"});
  ASSERT_EQ(j.status, 0) << j.err;
  const auto parsed = nlohmann::json::parse(j.out);  // throws when not JSON
  EXPECT_EQ(parsed["pss"]["level"], "baseline");
  EXPECT_TRUE(parsed["score"]["exposure"].is_number());
  ASSERT_FALSE(parsed["findings"].empty());
  EXPECT_TRUE(parsed["findings"][0].contains("location"));

  // docker-default.pol has high findings (TIOCSTI, AF_ALG on x86): the gate fails.
  EXPECT_EQ(audit({"policies/docker-default.pol", "--fail-on", "high"}).status, 3);
  EXPECT_EQ(audit({"policies/docker-default.pol", "--fail-on", "critical"}).status, 0);

  const CliRun missing = audit({"no/such.pol"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("no/such.pol"), std::string::npos) << missing.err;
  const CliRun missing_json = audit({"no/such.json"});
  EXPECT_EQ(missing_json.status, 1);
  EXPECT_NE(missing_json.err.find("no/such.json"), std::string::npos) << missing_json.err;
  const CliRun bad_pid = audit({"pid:abc"});
  EXPECT_EQ(bad_pid.status, 1);
  EXPECT_NE(bad_pid.err.find("pid:abc"), std::string::npos) << bad_pid.err;
  // A live process goes to compiler/inspect (its error until helper "inspect" is merged).
  const CliRun gone = audit({"pid:999999999"});
  EXPECT_EQ(gone.status, 1);
  EXPECT_NE(gone.err.find("999999999"), std::string::npos) << gone.err;

  EXPECT_EQ(audit({"policies/web.pol", "--bogus"}).status, 2);
  EXPECT_EQ(audit({"policies/web.pol", "--fail-on", "severe"}).status, 2);
  EXPECT_EQ(audit({"policies/web.pol", "--format", "xml"}).status, 2);
  EXPECT_EQ(audit({"policies/web.pol", "--base", "none"}).status, 2);  // a policy has its layers
  EXPECT_EQ(audit({"policies/web.pol", "--caps", "CHOWN"}).status, 2);
  // A JSON with --base none: every other layer not known, said, and exposed.
  const CliRun none = audit({"policies/reference/moby-default.seccomp.json", "--base", "none"});
  EXPECT_EQ(none.status, 0) << none.err;
  EXPECT_NE(none.out.find("is unknown (--base none)"), std::string::npos) << none.out;
  EXPECT_NE(none.out.find("[namespace.unknown]"), std::string::npos) << none.out;
}

}  // namespace
