// `policyc diff` run as a user runs it: the real binary on policy files written by the test, on
// web.pol and on a git repository the test makes; every output format, exit codes, --fail-on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PolicycDiff : public ::testing::Test {
 protected:
  fs::path tmp;
  void SetUp() override {
    char tmpl[] = "/tmp/policyc-diff-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp = tmpl;
  }
  void TearDown() override { fs::remove_all(tmp); }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path p = tmp / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

  // Runs `argv` in `cwd` (tmp by default) with stdout and stderr in files.
  Outcome run(std::vector<std::string> argv, const fs::path& cwd = {}) {
    const fs::path out = tmp / ".out", err = tmp / ".err";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const fs::path dir = cwd.empty() ? tmp : cwd;
    posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = 0;
    Outcome r;
    const int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return r;
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }
  Outcome diff(std::vector<std::string> args, const fs::path& cwd = {}) {
    args.insert(args.begin(), {std::getenv("POLICYC"), "diff"});
    return run(args, cwd);
  }
  // git with a committer of its own, in `repo`.
  void git_in(const fs::path& repo, std::vector<std::string> a) {
    a.insert(a.begin(), {"git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c",
                         "commit.gpgsign=false"});
    Outcome r = run(a, repo);
    EXPECT_EQ(r.status, 0) << r.err;
  }
  nlohmann::json diff_json(const fs::path& a, const fs::path& b) {
    Outcome r = diff({a, b, "--format", "json"});
    EXPECT_EQ(r.status, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }
};

// The line and column where `needle` first appears in `text` (plus `skip` columns), as "L:C".
std::string line_col(const std::string& text, const std::string& needle, size_t skip = 0) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return "?";
  const size_t line =
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n') + 1;
  const size_t bol = text.rfind('\n', at);
  return std::to_string(line) + ":" +
         std::to_string(at - (bol == std::string::npos ? 0 : bol + 1) + 1 + skip);
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// The issue's case: web.pol and a copy that allows ptrace (instead of killing it) and keeps
// CAP_SYS_ADMIN.
struct WebCase {
  std::string old_text, new_text;
  std::string ptrace_at, sys_admin_at;  // "line:col" in the new file
};

WebCase web_case() {
  WebCase c;
  c.old_text = slurp(fs::path(std::getenv("POLICY_SOURCE_DIR")) / "policies/web.pol");
  c.new_text = replace(c.old_text, "kill ptrace, process_vm_readv",
                       "allow ptrace\n    kill process_vm_readv");
  c.new_text = replace(c.new_text, "NET_BIND_SERVICE }", "NET_BIND_SERVICE, SYS_ADMIN }");
  c.ptrace_at = line_col(c.new_text, "allow ptrace", 6);
  c.sys_admin_at = line_col(c.new_text, "capabilities keep");
  return c;
}

TEST_F(PolicycDiff, WebWidensPtraceAndSysAdminInText) {
  WebCase c = web_case();
  fs::path a = write("web.pol", c.old_text), b = write("web-new.pol", c.new_text);
  Outcome r = diff({a, b});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 widenings, 0 narrowings"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("widen [high] syscalls: ptrace: now allowed, was kill-process\n    at " +
                       b.string() + ":" + c.ptrace_at),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("widen [critical] capabilities: CAP_SYS_ADMIN added to the bounding, "
                       "permitted, effective sets\n    at " +
                       b.string() + ":" + c.sys_admin_at),
            std::string::npos)
      << r.out;

  Outcome gate = diff({a, b, "--fail-on", "widen"});
  EXPECT_EQ(gate.status, 3) << gate.out << gate.err;
  EXPECT_EQ(diff({a, b, "--fail-on", "critical"}).status, 3);

  Outcome back = diff({b, a, "--fail-on", "widen"});
  EXPECT_EQ(back.status, 0) << back.out << back.err;
  EXPECT_NE(back.out.find("0 widenings, 2 narrowings"), std::string::npos) << back.out;
  EXPECT_NE(back.out.find("narrow [info] syscalls: ptrace: now kill-process, was allowed"),
            std::string::npos)
      << back.out;
  EXPECT_NE(back.out.find("narrow [info] capabilities: CAP_SYS_ADMIN removed"), std::string::npos);
}

TEST_F(PolicycDiff, WebInMarkdownJsonAndSarif) {
  WebCase c = web_case();
  fs::path a = write("web.pol", c.old_text), b = write("web-new.pol", c.new_text);

  Outcome md = diff({a, b, "--format", "markdown", "--fail-on", "widen"});
  EXPECT_EQ(md.status, 3);
  std::istringstream lines(md.out);
  std::string first, blank, header, rule, row1, row2;
  for (std::string* l : {&first, &blank, &header, &rule, &row1, &row2}) std::getline(lines, *l);
  EXPECT_EQ(first, "**Privileges widen** from `" + a.string() + "` to `" + b.string() +
                       "`: 2 widenings, 0 narrowings.");
  EXPECT_EQ(header, "| | Severity | Layer | Change | Rule |");
  EXPECT_EQ(rule, "|---|---|---|---|---|");
  EXPECT_EQ(row1,
            "| **widen** | critical | capabilities | CAP\\_SYS\\_ADMIN added to the bounding, "
            "permitted, effective sets | at " +
                b.string() + ":" + c.sys_admin_at + " |");
  EXPECT_EQ(row2, "| **widen** | high | syscalls | ptrace: now allowed, was kill-process | at " +
                      b.string() + ":" + c.ptrace_at + " |");

  Outcome js = diff({a, b, "--format", "json"});
  ASSERT_EQ(js.status, 0) << js.err;
  auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["summary"]["widen"], 2);
  ASSERT_EQ(j["changes"].size(), 2u);
  EXPECT_EQ(j["changes"][1]["category"], "syscalls");
  EXPECT_EQ(j["changes"][1]["direction"], "widen");
  EXPECT_EQ(j["changes"][1]["location"]["file"], b.string());
  EXPECT_EQ(std::to_string(j["changes"][1]["location"]["line"].get<int>()) + ":" +
                std::to_string(j["changes"][1]["location"]["column"].get<int>()),
            c.ptrace_at);

  const fs::path sarif_file = tmp / "diff.sarif";
  Outcome sarif = diff({a, b, "--format", "sarif", "-o", sarif_file});
  ASSERT_EQ(sarif.status, 0) << sarif.err;
  EXPECT_EQ(sarif.out, "");
  auto s = nlohmann::json::parse(slurp(sarif_file));
  EXPECT_EQ(s["version"], "2.1.0");
  auto& results = s["runs"][0]["results"];
  ASSERT_EQ(results.size(), 2u);
  for (auto& res : results) {
    EXPECT_EQ(res["level"], "error");
    auto& loc = res["locations"][0]["physicalLocation"];
    EXPECT_EQ(loc["artifactLocation"]["uri"], "file://" + b.string());
    const std::string at = std::to_string(loc["region"]["startLine"].get<int>()) + ":" +
                           std::to_string(loc["region"]["startColumn"].get<int>());
    EXPECT_EQ(at, res["ruleId"] == "syscalls/widen" ? c.ptrace_at : c.sys_admin_at);
  }
  EXPECT_EQ(s["runs"][0]["tool"]["driver"]["rules"].size(), 2u);

  // A real validator judges the SARIF against the published 2.1.0 schema.
  if (run({"/usr/bin/python3", "-c", "import jsonschema"}).status != 0)
    GTEST_SKIP() << "/usr/bin/python3 has no jsonschema module (apt-get install "
                    "python3-jsonschema): the SARIF was not validated against the schema";
  const fs::path schema =
      fs::path(std::getenv("POLICY_SOURCE_DIR")) / "tests/data/sarif-schema-2.1.0.json";
  Outcome v = run({"/usr/bin/python3", "-m", "jsonschema", "-i", sarif_file, schema});
  EXPECT_EQ(v.status, 0) << v.out << v.err;
  // And the validator does refuse what the schema forbids (the check can fail).
  s["runs"][0]["results"][0]["level"] = "fatal";
  std::ofstream(tmp / "bad.sarif") << s.dump();
  EXPECT_NE(run({"/usr/bin/python3", "-m", "jsonschema", "-i", tmp / "bad.sarif", schema}).status,
            0);
}

// A small policy with every layer, for changes one layer at a time.
const char* kBase = R"(policy t {
  syscalls default errno(EPERM) {
    allow read, write, close, exit_group, brk, mmap, rt_sigreturn
    allow socket(domain in {AF_UNIX, AF_INET})
    kill ptrace
  }
  capabilities keep { CHOWN }
  filesystem {
    read /etc/**
    read+write /tmp/**
    deny write /proc/sys/**
  }
  network { inet stream; bind tcp 8080 }
  namespaces { mount, pid, ipc, uts, net }
  resources { memory 64M, pids 32 }
  devices { allow c 1:3 rwm }
  process { no_new_privileges; user 101:101 }
  rootfs { readonly; tmpfs /tmp size=16M }
  sysctl { net.ipv4.ip_unprivileged_port_start 1024 }
}
)";

struct LayerCase {
  const char* from;
  const char* to;
  const char* category;
  const char* text;  // the widening's text, exactly
};

TEST_F(PolicycDiff, EachLayersWideningAndItsNarrowingBack) {
  const LayerCase cases[] = {
      {"{AF_UNIX, AF_INET}", "{AF_UNIX, AF_INET, AF_NETLINK}", "syscalls",
       "socket: allowed when domain is AF_NETLINK (16), was errno(EPERM)"},
      {"kill ptrace", "kill ptrace\n    allow personality when arch x86", "syscalls",
       "personality: now allowed, was errno(EPERM) on x86"},
      {"keep { CHOWN }", "keep { CHOWN, NET_RAW }", "capabilities",
       "CAP_NET_RAW added to the bounding, permitted, effective sets"},
      {"read /etc/**", "read+write /etc/**", "filesystem", "/etc/**: write now allowed"},
      {"    deny write /proc/sys/**\n", "", "filesystem",
       "deny /proc/sys/**: write no longer denied"},
      {"bind tcp 8080", "bind tcp 8080-8090", "network", "bind tcp 8081-8090 added"},
      {"inet stream;", "inet stream; inet6 stream;", "network", "inet6 stream added"},
      {"pid, ipc,", "pid,", "namespaces", "ipc namespace: now the host's, was its own"},
      {"memory 64M, pids 32", "memory 64M", "resources", "pids: now none, was 32 (limit removed)"},
      {"memory 64M", "memory 128M", "resources",
       "memory (bytes): now 134217728, was 67108864 (raised)"},
      {"allow c 1:3 rwm", "allow c 1:3 rwm; allow c 1:5 rw", "devices",
       "device c 1:5: rw now allowed"},
      {"no_new_privileges;", "no_new_privileges false;", "process",
       "no_new_privileges off: setuid programs and file capabilities raise privileges again"},
      {"user 101:101", "user 0:0", "process", "user: now 0:0, was 101:101 (root)"},
      {"rootfs { readonly;", "rootfs {", "rootfs", "the root filesystem is now writable"},
      {"tmpfs /tmp size=16M", "tmpfs /tmp size=16M; bind /srv /data", "rootfs",
       "mount bind /srv /data added"},
      {"start 1024", "start 0", "sysctls",
       "net.ipv4.ip_unprivileged_port_start = 0, was 1024 (counted as a widening)"},
  };
  const fs::path base = write("base.pol", kBase);
  for (const LayerCase& c : cases) {
    SCOPED_TRACE(c.to);
    const fs::path next = write("next.pol", replace(kBase, c.from, c.to));
    Outcome r = diff({base, next, "--format", "json", "--fail-on", "widen"});
    EXPECT_EQ(r.status, 3) << r.out << r.err;
    auto j = nlohmann::json::parse(r.out);
    bool found = false;
    for (auto& ch : j["changes"])
      if (ch["text"] == c.text) {
        found = true;
        EXPECT_EQ(ch["category"], c.category);
        EXPECT_EQ(ch["direction"], "widen");
        EXPECT_TRUE(ch["location"].is_object()) << ch.dump();
      }
    EXPECT_TRUE(found) << j.dump(2);
    // The way back narrows (a sysctl's change counts as a widening both ways: docs/review.md).
    auto back = diff_json(next, base);
    if (std::string(c.category) != "sysctls") {
      EXPECT_GT(back["summary"]["narrow"].get<int>(), 0) << back.dump(2);
    }
  }
}

// Argument conditions read the shorter way: the values that differ, or all but those that agree;
// a comparison of the low 32 bits as u32(arg), as the policy writes it.
TEST_F(PolicycDiff, ArgumentConditionsInThePolicysWords) {
  const char* old_text = R"(policy t {
  syscalls default errno(EPERM) { allow socket, ioctl }
}
)";
  const char* new_text = R"(policy t {
  syscalls default errno(EPERM) {
    allow socket(domain in {AF_UNIX, AF_INET})
    errno(EPERM) ioctl(u32(request) == TIOCSTI)
    allow ioctl
  }
}
)";
  Outcome r = diff({write("a.pol", old_text), write("b.pol", new_text)});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("narrow [info] syscalls: socket: errno(EPERM) when domain is any but "
                       "AF_UNIX (1) or AF_INET (2), was allowed\n    at " +
                       (tmp / "b.pol").string() + ":3:11\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("narrow [info] syscalls: ioctl: errno(EPERM) when u32(request) is TIOCSTI "
                       "(21522), was allowed on x86_64\n"),
            std::string::npos)
      << r.out;
}

TEST_F(PolicycDiff, KillToErrnoIsALowWideningAndBackANarrowing) {
  const fs::path a = write("a.pol", kBase),
                 b = write("b.pol", replace(kBase, "kill ptrace", "errno(EPERM) ptrace"));
  Outcome widen = diff({a, b, "--fail-on", "medium"});
  EXPECT_EQ(widen.status, 0) << widen.out;  // a low widening passes a medium gate
  EXPECT_NE(widen.out.find("widen [low] syscalls: ptrace: now errno(EPERM), was kill-process"),
            std::string::npos)
      << widen.out;
  EXPECT_EQ(diff({a, b, "--fail-on", "low"}).status, 3);
  Outcome narrow = diff({b, a, "--fail-on", "widen"});
  EXPECT_EQ(narrow.status, 0);
  EXPECT_NE(narrow.out.find("narrow [info] syscalls: ptrace: now kill-process, was errno(EPERM)"),
            std::string::npos)
      << narrow.out;
}

TEST_F(PolicycDiff, LandlockLayerRemoved) {
  std::string next = replace(kBase,
                             "  filesystem {\n    read /etc/**\n    read+write /tmp/**\n    deny "
                             "write /proc/sys/**\n  }\n",
                             "");
  next = replace(next, "  network { inet stream; bind tcp 8080 }\n", "");
  auto j = diff_json(write("a.pol", kBase), write("b.pol", next));
  std::vector<std::string> texts;
  for (auto& ch : j["changes"])
    texts.push_back(ch["category"].get<std::string>() + ": " + ch["text"].get<std::string>());
  auto has = [&](const std::string& t) {
    return std::find(texts.begin(), texts.end(), t) != texts.end();
  };
  EXPECT_TRUE(has("lsm: no Landlock ruleset any more")) << j.dump(2);
  EXPECT_TRUE(
      has("filesystem: no filesystem section: files are no longer confined by AppArmor "
          "or Landlock"));
}

// The policy under review is its author's text: a path written to look like markup (a link, an
// image, HTML, a new table cell) stays text in the pull-request comment.
TEST_F(PolicycDiff, MarkdownKeepsThePolicysTextAsText) {
  const std::string next =
      replace(kBase, "    read /etc/**\n",
              "    read /etc/**\n    read \"/srv/[x](http://e.example)|<img src=x>!\"\n");
  Outcome r = diff({write("a.pol", kBase), write("b.pol", next), "--format", "markdown"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("/srv/\\[x\\](http://e.example)\\|\\<img src=x\\>\\!"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("x](http"), std::string::npos) << r.out;  // only as \[x\](...)
  EXPECT_EQ(r.out.find(" <img"), std::string::npos) << r.out;
}

TEST_F(PolicycDiff, EqualPoliciesWrittenDifferently) {
  const char* a = R"(group @io { read, write }
policy t {
  syscalls default errno(EPERM) {
    allow @io, close
    allow socket(domain in {AF_UNIX, AF_INET})
    kill ptrace, process_vm_readv
  }
  capabilities keep { CHOWN, SETUID }
  filesystem { read /etc/**, /usr/**; deny write /proc/sys/** }
  network { inet stream; unix }
}
)";
  const char* b = R"(policy t {
  syscalls default errno(EPERM) {
    kill process_vm_readv
    allow close
    allow socket(domain in {AF_INET, AF_UNIX})
    allow write
    kill ptrace
    allow read
  }
  network { unix; inet stream }
  filesystem {
    deny write /proc/sys/**
    read /usr/**
    read /etc/**
  }
  capabilities keep { SETUID, CHOWN }
}
)";
  const fs::path pa = write("a.pol", a), pb = write("b.pol", b);
  Outcome r = diff({pa, pb, "--fail-on", "widen"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out, pa.string() + " -> " + pb.string() + ": no change in privileges\n");
  Outcome md = diff({pa, pb, "--format", "markdown"});
  EXPECT_NE(md.out.find("no change in privileges."), std::string::npos) << md.out;
}

TEST_F(PolicycDiff, RevisionPathsReadTheRevisionsIncludes) {
  if (run({"git", "--version"}).status != 0) GTEST_SKIP() << "git is not installed";
  const fs::path repo = tmp / "repo";
  fs::create_directories(repo / "pol/groups");
  std::ofstream(repo / "pol/groups/io.pol") << "group @io { read, write }\n";
  std::ofstream(repo / "pol/app.pol") << "include \"groups/io.pol\"\npolicy app {\n  syscalls "
                                         "default errno(EPERM) {\n    allow @io\n  }\n}\n";
  auto git = [&](const std::vector<std::string>& a) { git_in(repo, a); };
  git({"init", "-q"});
  git({"add", "."});
  git({"commit", "-q", "-m", "v1"});
  // The working tree's group (an include) gains ptrace: the policy file itself does not change.
  std::ofstream(repo / "pol/groups/io.pol") << "group @io { read, write, ptrace }\n";
  // policyc's temporary directories go to a directory of this test's own, so that a REV:path diff
  // of another test running beside this one is not counted.
  const fs::path own_tmp = tmp / "tmpdir";
  fs::create_directories(own_tmp);
  ::setenv("TMPDIR", own_tmp.c_str(), 1);
  auto leftovers = [] {
    size_t n = 0;
    for (auto& e : fs::directory_iterator(fs::temp_directory_path())) {
      const std::string name = e.path().filename().string();
      n += name.rfind("policyc-diff-", 0) == 0 && name.rfind("policyc-diff-test-", 0) != 0;
    }
    return n;
  };
  const size_t before = leftovers();
  Outcome r = diff({"HEAD:pol/app.pol", "pol/app.pol", "--fail-on", "widen"}, repo);
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("HEAD:pol/app.pol -> pol/app.pol: 1 widening, 0 narrowings"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ptrace: now allowed, was errno(EPERM)\n    at pol/app.pol:4:11"),
            std::string::npos)
      << r.out;
  Outcome same = diff({"HEAD:pol/app.pol", "HEAD:pol/app.pol"}, repo);
  EXPECT_NE(same.out.find("no change in privileges"), std::string::npos) << same.out << same.err;
  // Both sides from git: locations are REV:path:line:col, a removed rule's in OLD's revision.
  git({"commit", "-q", "-a", "-m", "v2"});
  Outcome revs = diff({"HEAD~1:pol/app.pol", "HEAD:pol/app.pol"}, repo);
  EXPECT_NE(revs.out.find("ptrace: now allowed, was errno(EPERM)\n    at HEAD:pol/app.pol:4:11"),
            std::string::npos)
      << revs.out << revs.err;
  Outcome back = diff({"HEAD:pol/app.pol", "HEAD~1:pol/app.pol"}, repo);
  EXPECT_NE(back.out.find("removed rule at HEAD:pol/app.pol:4:11"), std::string::npos) << back.out;
  // SARIF locates NEW's rules at the repository path, for the code-review tool.
  Outcome sarif = diff({"HEAD~1:pol/app.pol", "HEAD:pol/app.pol", "--format", "sarif"}, repo);
  auto s = nlohmann::json::parse(sarif.out);
  EXPECT_EQ(
      s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
      "pol/app.pol");
  // A committed policy with an error: its diagnostics name REV:path.
  std::ofstream(repo / "pol/app.pol")
      << "policy app {\n  syscalls default errno(EPERM) { allow opn }\n}\n";
  git({"commit", "-q", "-a", "-m", "v3"});
  Outcome bad = diff({"HEAD:pol/app.pol", "HEAD~1:pol/app.pol"}, repo);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("HEAD:pol/app.pol:2:"), std::string::npos) << bad.err;
  Outcome missing = diff({"HEAD:pol/nothing.pol", "pol/app.pol"}, repo);
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("HEAD:pol/nothing.pol"), std::string::npos) << missing.err;
  EXPECT_EQ(leftovers(), before);
  ::unsetenv("TMPDIR");
}

// tools/policy-gate on a repository the test makes: a widening fails the gate unless the commit
// message carries the marker; nothing to compare with (first commit, no git) passes.
TEST_F(PolicycDiff, PolicyGate) {
  if (run({"git", "--version"}).status != 0) GTEST_SKIP() << "git is not installed";
  const std::string gate = std::string(std::getenv("POLICY_SOURCE_DIR")) + "/tools/policy-gate";
  const std::string policyc = std::getenv("POLICYC");
  const fs::path repo = tmp / "repo";
  fs::create_directories(repo / "policies");
  auto git = [&](const std::vector<std::string>& a) { git_in(repo, a); };
  auto commit = [&](const std::string& text, const std::string& message) {
    std::ofstream(repo / "policies/app.pol") << text;
    git({"add", "."});
    git({"commit", "-q", "-m", message});
  };
  Outcome nogit = run({gate, "--policyc", policyc}, tmp);
  EXPECT_EQ(nogit.status, 0) << nogit.err;
  EXPECT_NE(nogit.err.find("not a git checkout"), std::string::npos) << nogit.err;

  git({"init", "-q"});
  commit(kBase, "first");
  Outcome first = run({gate, "--policyc", policyc}, repo);
  EXPECT_EQ(first.status, 0) << first.err;
  EXPECT_NE(first.err.find("no revision HEAD~1"), std::string::npos) << first.err;

  commit(replace(kBase, "kill ptrace", "allow ptrace"), "allow ptrace");
  Outcome widened = run({gate, "--policyc", policyc}, repo);
  EXPECT_EQ(widened.status, 1) << widened.out << widened.err;
  EXPECT_NE(widened.out.find("ptrace: now allowed, was kill-process"), std::string::npos)
      << widened.out;
  EXPECT_NE(widened.err.find("Policy-Widening: intended"), std::string::npos) << widened.err;

  git({"commit", "-q", "--amend", "-m", "allow ptrace\n\nPolicy-Widening: intended"});
  Outcome marked = run({gate, "--policyc", policyc}, repo);
  EXPECT_EQ(marked.status, 0) << marked.out << marked.err;

  commit(replace(kBase, "kill ptrace", "errno(EPERM) ptrace"), "ptrace: errno, not allow");
  Outcome narrowed = run({gate, "--policyc", policyc}, repo);
  EXPECT_EQ(narrowed.status, 0) << narrowed.out << narrowed.err;

  commit("policy app { syscalls default errno(EPERM) { allow opn } }\n", "broken");
  Outcome broken = run({gate, "--policyc", policyc, "--message-file", "/dev/null"}, repo);
  EXPECT_EQ(broken.status, 1) << broken.out << broken.err;
}

TEST_F(PolicycDiff, BadUsageExits2AndBadInput1) {
  const fs::path a = write("a.pol", kBase);
  EXPECT_EQ(diff({a, a, "--format", "yaml"}).status, 2);
  EXPECT_EQ(diff({a, a, "--fail-on", "wider"}).status, 2);
  EXPECT_EQ(diff({a}).status, 2);
  Outcome nofile = diff({a, tmp / "nope.pol"});
  EXPECT_EQ(nofile.status, 1);
  EXPECT_NE(nofile.err.find("nope.pol"), std::string::npos) << nofile.err;
}

}  // namespace
