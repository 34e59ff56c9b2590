// Syntax errors (exact text and position), comments, includes, and the shipped policies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/frontend/parse.hpp"
#include "tests/frontend/test_util.hpp"

namespace policy {
namespace {

namespace fs = std::filesystem;
using test::compile;

std::string syntax_error(const std::string& text) {
  DiagnosticEngine diags;
  auto f = frontend::parse_policy_text("s.pol", text, diags);
  if (f) return "PARSED";
  std::string out;
  for (const Diagnostic& d : diags.diagnostics()) out += diags.render(d);
  return out;
}

TEST(Syntax, CommentsAndSeparators) {
  auto c = compile(R"(# a comment
// another
policy p {  # after a brace
  syscalls {
    allow read, write;  allow close // trailing
    allow openat
    kill ptrace ; kill process_vm_readv
  }
}
)");
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->seccomp.rules.size(), 6u);
}

TEST(Syntax, MissingBraceAfterPolicyName) {
  EXPECT_EQ(syntax_error("policy web\n  syscalls { }\n"),
            "s.pol:2:3: error: expected '{' after the policy name\n"
            "  syscalls { }\n"
            "  ^\n");
}

TEST(Syntax, UnknownSection) {
  EXPECT_EQ(syntax_error("policy web {\n  sycalls { allow read }\n}\n"),
            "s.pol:2:3: error: expected a section (syscalls, capabilities, filesystem, network, "
            "namespaces, resources, process, rootfs, devices, sysctl) or '}' to close the policy\n"
            "  sycalls { allow read }\n"
            "  ^\n");
}

TEST(Syntax, BadAction) {
  EXPECT_EQ(syntax_error("policy web {\n  syscalls {\n    alow read\n  }\n}\n"),
            "s.pol:3:5: error: expected a rule (an action such as allow, errno(...), kill, trap, "
            "log), a removal (-ptrace) or '}' to close the syscalls section\n"
            "    alow read\n"
            "    ^\n");
}

TEST(Syntax, MissingTarget) {
  EXPECT_EQ(syntax_error("policy web { syscalls { allow } }"),
            "s.pol:1:31: error: expected a syscall name or '@group' after the action\n"
            "policy web { syscalls { allow } }\n"
            "                              ^\n");
  EXPECT_EQ(syntax_error("policy web { syscalls { allow read, } }"),
            "s.pol:1:37: error: expected a syscall name or '@group' after ','\n"
            "policy web { syscalls { allow read, } }\n"
            "                                    ^\n");
}

TEST(Syntax, ErrnoNeedsParentheses) {
  EXPECT_EQ(syntax_error("policy p { syscalls { errno EPERM read } }"),
            "s.pol:1:29: error: expected '(' after 'errno', as in errno(EPERM)\n"
            "policy p { syscalls { errno EPERM read } }\n"
            "                            ^\n");
  EXPECT_EQ(syntax_error("policy p { syscalls { errno(EPERM read } }"),
            "s.pol:1:35: error: expected ')' after the errno value\n"
            "policy p { syscalls { errno(EPERM read } }\n"
            "                                  ^\n");
}

TEST(Syntax, ConditionErrors) {
  EXPECT_EQ(syntax_error("policy p { syscalls { allow socket(domain AF_INET) } }"),
            "s.pol:1:43: error: expected a comparison after the argument name (==, !=, <, <=, >, "
            ">=, '&', 'in' or 'not in')\n"
            "policy p { syscalls { allow socket(domain AF_INET) } }\n"
            "                                          ^\n");
  EXPECT_EQ(syntax_error("policy p { syscalls { allow socket(domain == 1 type == 2) } }"),
            "s.pol:1:48: error: expected 'and', 'or' or ')' after the argument condition\n"
            "policy p { syscalls { allow socket(domain == 1 type == 2) } }\n"
            "                                               ^\n");
  EXPECT_EQ(syntax_error("policy p { syscalls { allow socket(domain in AF_INET) } }"),
            "s.pol:1:46: error: expected '{' after 'in', as in 'domain in {AF_INET, AF_UNIX}'\n"
            "policy p { syscalls { allow socket(domain in AF_INET) } }\n"
            "                                             ^\n");
  EXPECT_EQ(syntax_error("policy p { syscalls { allow clone(flags & 1 = 0) } }"),
            "s.pol:1:45: error: expected '==' after the mask, as in 'flags & MASK == VALUE'\n"
            "policy p { syscalls { allow clone(flags & 1 = 0) } }\n"
            "                                            ^\n");
  EXPECT_EQ(syntax_error("policy p { syscalls { allow socket() } }"),
            "s.pol:1:36: error: expected an argument condition, as in 'domain == AF_INET'\n"
            "policy p { syscalls { allow socket() } }\n"
            "                                   ^\n");
}

TEST(Syntax, GateErrors) {
  EXPECT_EQ(syntax_error("policy p { syscalls { allow bpf when cap SYS_ADMIN } }"),
            "s.pol:1:38: error: expected 'capability', 'arch' or 'kernel' in the gate\n"
            "policy p { syscalls { allow bpf when cap SYS_ADMIN } }\n"
            "                                     ^\n");
  EXPECT_EQ(syntax_error("policy p { syscalls { allow bpf when kernel 4.8 } }"),
            "s.pol:1:45: error: expected '>=' after 'kernel', as in 'kernel >= 4.8'\n"
            "policy p { syscalls { allow bpf when kernel 4.8 } }\n"
            "                                            ^\n");
}

TEST(Syntax, UnterminatedStringAndTopLevel) {
  EXPECT_EQ(syntax_error("include \"groups.pol\npolicy p { }\n"),
            "s.pol:1:20: error: unterminated string: expected '\"'\n"
            "include \"groups.pol\n"
            "                   ^\n");
  EXPECT_EQ(syntax_error("polciy p { }\n"),
            "s.pol:1:1: error: expected 'policy', 'group' or 'include'\n"
            "polciy p { }\n"
            "^\n");
}

TEST(Syntax, OtherSections) {
  EXPECT_EQ(syntax_error("policy p { resources { memory lots } }"),
            "s.pol:1:31: error: expected a size such as 256M\n"
            "policy p { resources { memory lots } }\n"
            "                              ^\n");
  EXPECT_EQ(syntax_error("policy p { network { bind udp 53 } }"),
            "s.pol:1:27: error: expected 'tcp' (Landlock restricts TCP ports only)\n"
            "policy p { network { bind udp 53 } }\n"
            "                          ^\n");
  EXPECT_EQ(syntax_error("policy p { capabilities { keep CHOWN } }"),
            "s.pol:1:32: error: expected '{', 'all' or 'none' after the capability set name\n"
            "policy p { capabilities { keep CHOWN } }\n"
            "                               ^\n");
  EXPECT_EQ(syntax_error("policy p { filesystem { read etc } }"),
            "s.pol:1:30: error: expected a path (starting with '/' or '@{', or a quoted string)\n"
            "policy p { filesystem { read etc } }\n"
            "                             ^\n");
  // `user root` is a name (looked up in the image); a quoted string is neither id nor name.
  EXPECT_EQ(syntax_error("policy p { process { user root } }"), "PARSED");
  EXPECT_EQ(syntax_error("policy p { process { user \"root\" } }"),
            "s.pol:1:27: error: expected a numeric id or a user or group name\n"
            "policy p { process { user \"root\" } }\n"
            "                          ^\n");
  EXPECT_EQ(syntax_error("policy p { rootfs { tmpfs } }"),
            "s.pol:1:27: error: expected a path\n"
            "policy p { rootfs { tmpfs } }\n"
            "                          ^\n");
}

// A scratch directory of policy files, removed afterwards.
class Files : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/frontend-test-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = fs::path(dir_) / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  std::string dir_;
};

Diagnostic first(const DiagnosticEngine& d) {
  return d.diagnostics().at(0);
}

TEST_F(Files, IncludesRelativeThenSearchPathReadOnce) {
  write("lib/groups.pol", "group @io { read, write }\n");
  write("lib/more.pol", "include \"groups.pol\"\ngroup @more { @io, close }\n");
  std::string main = write("app/web.pol",
                           "include \"more.pol\"\ninclude \"groups.pol\"\n"
                           "policy web { syscalls { allow @more } }\n");
  DiagnosticEngine diags;
  frontend::LoadOptions o = test::options();
  o.include_dirs = {dir_ + "/lib"};
  auto p = frontend::load_policy_file(main, o, diags);
  ASSERT_TRUE(p);
  EXPECT_EQ(diags.diagnostics().size(), 0u);
  EXPECT_EQ(p->seccomp.rules.size(), 3u);
  EXPECT_EQ(p->seccomp.rules[0].via, "@more > @io");
}

TEST_F(Files, TheFrontEndReadsNoEnvironment) {
  // $POLICY_PATH is the programs' (driver::default_include_dirs, tests/cli); the front end
  // searches only the directories it is given.
  write("lib/groups.pol", "group @io { read }\n");
  std::string main =
      write("web.pol", "include \"groups.pol\"\npolicy web { syscalls { allow @io } }\n");
  setenv("POLICY_PATH", (dir_ + "/lib").c_str(), 1);
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(main, test::options(), diags);
  unsetenv("POLICY_PATH");
  EXPECT_FALSE(p);
  EXPECT_EQ(diags.render(first(diags)),
            main + ":1:9: error: cannot find included file 'groups.pol' (searched: " + dir_ +
                "); add its directory with -I or POLICY_PATH\n"
                "include \"groups.pol\"\n"
                "        ^\n");
  frontend::LoadOptions o = test::options();
  o.include_dirs = {"/nonexistent", dir_ + "/lib"};
  DiagnosticEngine diags2;
  auto q = frontend::load_policy_file(main, o, diags2);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->seccomp.rules.size(), 1u);
}

TEST_F(Files, IncludeCycleIsAnError) {
  write("a.pol", "include \"b.pol\"\n");
  write("b.pol", "include \"a.pol\"\n");
  std::string main = write("main.pol", "include \"a.pol\"\npolicy p { }\n");
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(main, test::options(), diags);
  EXPECT_FALSE(p);
  ASSERT_EQ(diags.error_count(), 1u);
  EXPECT_EQ(diags.render(first(diags)), dir_ + "/b.pol:1:9: error: include cycle: " + dir_ +
                                            "/a.pol -> " + dir_ + "/b.pol -> " + dir_ + "/a.pol\n" +
                                            "include \"a.pol\"\n" + "        ^\n");
}

TEST_F(Files, MissingFile) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(dir_ + "/nope.pol", test::options(), diags);
  EXPECT_FALSE(p);
  EXPECT_EQ(diags.render(first(diags)),
            dir_ + "/nope.pol: error: cannot read policy file '" + dir_ +
                "/nope.pol': No such file or directory; check the path\n");
}

TEST_F(Files, ErrorInIncludedFileNamesThatFile) {
  write("groups.pol", "group @io {\n  read, opn\n}\n");
  std::string main =
      write("web.pol", "include \"groups.pol\"\npolicy web { syscalls { allow @io } }\n");
  DiagnosticEngine diags;
  EXPECT_FALSE(frontend::load_policy_file(main, test::options(), diags));
  EXPECT_EQ(diags.render(first(diags)),
            dir_ +
                "/groups.pol:2:9: error: unknown syscall 'opn'; did you mean 'open'?\n"
                "  read, opn\n"
                "        ^\n");
}

// Every policy shipped in policies/ loads without errors (warnings are printed, not failed).
// ---- Limits (docs/language.md, "Limits") and long lines (docs/diagnostics.md) ----

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string nested_policy(size_t parens, size_t nots) {
  return "policy p {\n  syscalls default errno(EPERM) {\n    allow read(" + repeat("(", parens) +
         repeat("not ", nots) + "fd == 0" + repeat(")", parens) + ")\n  }\n}\n";
}

TEST(Limits, ConditionNestingUpToTheLimitCompiles) {
  // The top condition plus 255 parentheses, or plus 255 `not`s: 256 levels.
  auto c = compile(nested_policy(255, 0));
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->seccomp.rules.at(0).args.at(0).at(0).op, ir::CmpOp::Eq);
  c = compile(nested_policy(0, 255));
  ASSERT_TRUE(c.policy) << c.diagnostics;
  EXPECT_EQ(c.policy->seccomp.rules.at(0).args.at(0).at(0).op, ir::CmpOp::Ne);  // odd: negated
}

TEST(Limits, ConditionNestingPastTheLimitIsReportedWhereItIsReached) {
  EXPECT_EQ(syntax_error(nested_policy(256, 0)),
            "s.pol:3:272: error: condition nested deeper than 256 levels of parentheses and "
            "'not'; simplify it or split it into several rules\n"
            "..." +
                repeat("(", 60) + "fd == 0" + repeat(")", 53) + "...\n" + std::string(63, ' ') +
                "^\n");
  // `not` and parentheses count together.
  EXPECT_NE(syntax_error(nested_policy(128, 128)).find("error: condition nested deeper than 256"),
            std::string::npos);
  // Values have their own parentheses.
  std::string values = "policy p { syscalls { allow read(fd == " + repeat("(", 255) + "1" +
                       repeat(")", 255) + ") } }";
  EXPECT_EQ(syntax_error(values), "PARSED");
  values = "policy p { syscalls { allow read(fd == " + repeat("(", 300) + "1" + repeat(")", 300) +
           ") } }";
  EXPECT_NE(syntax_error(values).find("error: value nested deeper than 256 levels of parentheses; "
                                      "remove the extra parentheses"),
            std::string::npos);
}

TEST(Limits, GroupAndExtendsChainsPastTheLimit) {
  std::string groups;
  for (int i = 1; i <= 64; ++i)
    groups += "group @g" + std::to_string(i) + " { @g" + std::to_string(i + 1) + " }\n";
  groups += "group @g65 { read }\n";
  std::string use = "policy p {\n  syscalls default errno(EPERM) {\n    allow @g2\n  }\n}\n";
  auto c = compile(groups.substr(groups.find("group @g2 ")) + use);  // 64 levels: fine
  EXPECT_TRUE(c.policy) << c.diagnostics;
  c = compile(groups + use);
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.errors, 1u) << c.diagnostics;
  EXPECT_EQ(c.diagnostics.substr(0, c.diagnostics.find('\n')),
            "test.pol:65:7: error: groups nested deeper than 64 levels (@g1 > ... > @g65); list "
            "the syscalls of the deepest groups directly");

  std::string policies = "policy b1 {\n  syscalls default errno(EPERM) {\n    allow read\n  }\n}\n";
  for (int i = 2; i <= 65; ++i)
    policies += "policy b" + std::to_string(i) + " extends b" + std::to_string(i - 1) + " {\n}\n";
  frontend::LoadOptions o = test::options();
  o.policy_name = "b64";
  EXPECT_TRUE(test::compile_with(policies, o).policy);
  o.policy_name = "b65";
  c = test::compile_with(policies, o);
  EXPECT_FALSE(c.policy);
  EXPECT_EQ(c.diagnostics.substr(0, c.diagnostics.find('\n')),
            "test.pol:6:19: error: 'extends' chain deeper than 64 policies (b65 -> ... -> b2 -> "
            "b1); extend fewer levels of policies");
}

TEST(LongLines, EchoIsCutAroundTheCaret) {
  DiagnosticEngine diags;
  std::string digits = repeat("0123456789", 30);
  diags.add_source("l.pol", "first\n" + digits + "\n");
  diags.error({"l.pol", 2, 200}, "middle");
  diags.error({"l.pol", 2, 3}, "start");
  diags.error({"l.pol", 2, 299}, "end");
  const auto& d = diags.diagnostics();
  EXPECT_EQ(diags.render(d[0]),
            "l.pol:2:200: error: middle\n"
            "...901234567890123456789012345678901234567890123456789012345678901234567890123456789"
            "012345678901234567890123456789012345678...\n"
            "                                                               ^\n");
  EXPECT_EQ(diags.render(d[1]),
            "l.pol:2:3: error: start\n"
            "012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
            "456789012345678901234567890123456789...\n"
            "  ^\n");
  EXPECT_EQ(diags.render(d[2]),
            "l.pol:2:299: error: end\n"
            "...012345678901234567890123456789012345678901234567890123456789012345678901234567890"
            "123456789012345678901234567890123456789\n" +
                std::string(3 + 118, ' ') + "^\n");
}

TEST(LongLines, CutNeverSplitsAUtf8SequenceAndKeepsTabs) {
  DiagnosticEngine diags;
  // "é" (2 bytes) at bytes 139-140: a window starting at byte 140 starts at 139 instead.
  std::string line = "\t" + std::string(138, 'x') + "\xc3\xa9" + std::string(200, 'y');
  diags.add_source("u.pol", line);
  diags.error({"u.pol", 1, 201}, "here");
  diags.error({"u.pol", 1, 5}, "tab");
  EXPECT_EQ(diags.render(diags.diagnostics()[0]), "u.pol:1:201: error: here\n...\xc3\xa9" +
                                                      std::string(119, 'y') + "...\n" +
                                                      std::string(3 + 61, ' ') + "^\n");
  EXPECT_EQ(diags.render(diags.diagnostics()[1]),
            "u.pol:1:5: error: tab\n" + line.substr(0, 120) + "...\n\t   ^\n");
}

TEST(ErrorLimit, KeepsTheFirstErrorsAndCountsTheRest) {
  DiagnosticEngine diags;
  diags.set_error_limit(2);
  for (int i = 0; i < 5; ++i) diags.error({"e.pol", 1, 1}, "e" + std::to_string(i));
  EXPECT_EQ(diags.error_count(), 5u);
  EXPECT_EQ(diags.diagnostics().size(), 2u);
  std::ostringstream os;
  diags.print_all(os);
  EXPECT_EQ(os.str(),
            "e.pol:1:1: error: e0\ne.pol:1:1: error: e1\n"
            "fatal error: too many errors emitted, stopping now [--error-limit=2]: 3 more not "
            "shown; --error-limit 0 shows them all\n5 errors generated.\n");
}

TEST(ShippedPolicies, AllLoad) {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  if (!src) GTEST_SKIP() << "POLICY_SOURCE_DIR is not set (run through ctest)";
  fs::path dir = fs::path(src) / "policies";
  if (!fs::exists(dir)) GTEST_SKIP() << "no policies/ directory in " << src;
  unsigned files = 0;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() != ".pol") continue;
    ++files;
    DiagnosticEngine diags;
    frontend::LoadOptions o;
    o.include_dirs = {dir.string()};
    o.kernel = ir::KernelVersion{6, 1};
    std::string text;
    {
      std::ifstream in(e.path());
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    bool has_policy = text.rfind("policy ", 0) == 0 || text.find("\npolicy ") != std::string::npos;
    auto p = frontend::load_policy_file(e.path().string(), o, diags);
    std::ostringstream os;
    diags.print_all(os);
    if (has_policy) {
      EXPECT_TRUE(p) << os.str();
      continue;
    }
    // A file of groups only: every group checks, and the one error is that there is no policy.
    ASSERT_EQ(diags.error_count(), 1u) << e.path() << "\n" << os.str();
    EXPECT_EQ(diags.diagnostics().back().message.rfind("no policy in this file", 0), 0u)
        << os.str();
  }
  EXPECT_GT(files, 0u);
}

}  // namespace
}  // namespace policy
