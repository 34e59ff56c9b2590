// Syntax errors (exact text and position), comments, includes, and the shipped policies.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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
            "log) or '}' to close the syscalls section\n"
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
  EXPECT_EQ(syntax_error("policy p { process { user root } }"),
            "s.pol:1:27: error: expected a numeric id\n"
            "policy p { process { user root } }\n"
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

TEST_F(Files, PolicyPathEnvironmentIsAFallback) {
  write("lib/groups.pol", "group @io { read }\n");
  std::string main =
      write("web.pol", "include \"groups.pol\"\npolicy web { syscalls { allow @io } }\n");
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(main, test::options(), diags);
  EXPECT_FALSE(p);
  EXPECT_EQ(diags.render(first(diags)),
            main + ":1:9: error: cannot find included file 'groups.pol' (searched: " + dir_ +
                "); add its directory with -I or POLICY_PATH\n"
                "include \"groups.pol\"\n"
                "        ^\n");
  setenv("POLICY_PATH", ("/nonexistent:" + dir_ + "/lib").c_str(), 1);
  DiagnosticEngine diags2;
  auto q = frontend::load_policy_file(main, test::options(), diags2);
  unsetenv("POLICY_PATH");
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
                "/nope.pol': not found or not a regular file; check the path\n");
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
