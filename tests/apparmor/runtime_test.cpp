// AppArmor at run time. This host's kernel has no AppArmor: --apparmor=require must fail saying so,
// auto must say what Landlock enforces instead. Enforcement itself is tested where the kernel has
// AppArmor, and skipped with the reason elsewhere.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "compiler/apparmor/parser_tool.hpp"
#include "compiler/apparmor/profile.hpp"
#include "compiler/common/error.hpp"
#include "runtime/launch/apparmor.hpp"

namespace policy {
namespace {

using launch::AppArmorMode;

SourceLoc at(unsigned line) {
  return SourceLoc{"web.pol", line, 3};
}

ir::Policy web() {
  ir::Policy p;
  p.name = "web";
  auto& fs = p.filesystem;
  fs.specified = true;
  fs.rules.push_back({false, ir::kRead | ir::kExec | ir::kMap, "/usr/**", "", at(4)});
  fs.rules.push_back({false, ir::kRead, "/etc/*.conf", "", at(5)});
  fs.rules.push_back({false, ir::kWrite, "/var/log/**", "", at(6)});
  fs.rules.push_back({true, ir::kWrite, "/var/log/secret/**", "", at(7)});
  fs.mount_rules.push_back({true, "mount", "", at(8)});
  p.network.specified = true;
  p.network.sockets.push_back({false, "inet", "stream", at(9)});
  p.network.ports.push_back({false, ir::PortRule::Bind, "tcp", 80, 80, at(10)});
  return p;
}

TEST(AppArmorRuntime, RequireFailsWhereTheKernelHasNoAppArmor) {
  if (launch::kernel_has_apparmor())
    GTEST_SKIP() << "this kernel has AppArmor; the absent-AppArmor path cannot be tested here";
  std::ostringstream log;
  try {
    launch::prepare_apparmor(web(), AppArmorMode::Require, log);
    FAIL() << "expected policy::Error";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("--apparmor=require: AppArmor profile 'web' cannot be applied: "),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(launch::apparmor_unavailable_reason()), std::string::npos) << m;
    EXPECT_NE(m.find("--apparmor=auto"), std::string::npos) << m;
  }
  EXPECT_THROW(launch::apply_apparmor_exec_label(web(), AppArmorMode::Require), Error);
  // auto and off are no-ops in the child
  launch::apply_apparmor_exec_label(web(), AppArmorMode::Auto);
  launch::apply_apparmor_exec_label(web(), AppArmorMode::Off);
}

TEST(AppArmorRuntime, AutoSaysWhatLandlockEnforcesInsteadAndWhatNothingEnforces) {
  if (launch::kernel_has_apparmor())
    GTEST_SKIP() << "this kernel has AppArmor; auto loads the profile instead of reporting";
  int abi = launch::landlock_abi();
  if (abi == 0) GTEST_SKIP() << "this kernel has neither AppArmor nor Landlock";
  std::ostringstream log;
  launch::prepare_apparmor(web(), AppArmorMode::Auto, log);
  std::string s = log.str();
  std::string expected =
      "policyrun: warning: " + launch::apparmor_unavailable_reason() +
      ": AppArmor profile 'web' is not loaded, and its rules are not enforced by AppArmor\n"
      "policyrun: Landlock (ABI " +
      std::to_string(abi) +
      ") enforces instead:\n"
      "  web.pol:4:3: read+exec+map /usr/** (partially: Landlock does not mediate "
      "mmap(PROT_EXEC): map is granted as execute (the kernel checks execute when it loads "
      "ld.so))\n"
      "  web.pol:5:3: read /etc/*.conf (partially: Landlock cannot match globs: grants read on "
      "all of /etc)\n"
      "  web.pol:6:3: write /var/log/**\n"
      "  web.pol:8:3: deny mount\n"
      "policyrun: not enforced at all on this host:\n"
      "  web.pol:7:3: deny write /var/log/secret/** (Landlock is allow-only: /var/log/secret lies "
      "inside /var/log, allowed by `write /var/log/**` at web.pol:6:3; the deny is left to "
      "AppArmor)\n"
      "  web.pol:9:3: inet stream (Landlock does not restrict socket families or types "
      "(seccomp's socket() rules and AppArmor do))\n";
  EXPECT_EQ(s, expected);
  // the port rule is Landlock's alone: AppArmor never claimed it, so it is not listed
  EXPECT_EQ(s.find("bind tcp 80"), std::string::npos);
}

TEST(AppArmorRuntime, AutoWithLandlockOffEnforcesNothingInstead) {
  if (launch::kernel_has_apparmor()) GTEST_SKIP() << "this kernel has AppArmor";
  std::ostringstream log;
  launch::prepare_apparmor(web(), AppArmorMode::Auto, log, launch::LandlockMode::Off);
  EXPECT_NE(log.str().find("Landlock is off or missing, so it enforces none of them"),
            std::string::npos)
      << log.str();
  EXPECT_NE(log.str().find("  web.pol:6:3: write /var/log/**\n"), std::string::npos) << log.str();
}

TEST(AppArmorRuntime, ExecEntersTheProfile) {
  if (!launch::kernel_has_apparmor())
    GTEST_SKIP() << "cannot test AppArmor enforcement: " << launch::apparmor_unavailable_reason();
  ir::Policy p;
  p.name = "policyrun-apparmor-test";
  std::ostringstream log;
  launch::prepare_apparmor(p, AppArmorMode::Require, log);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    try {
      launch::apply_apparmor_exec_label(p, AppArmorMode::Require);
    } catch (...) {
      _exit(2);
    }
    execl("/bin/cat", "cat", "/proc/self/attr/current", nullptr);
    _exit(127);
  }
  close(fds[1]);
  char buf[256] = {};
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  // unload what this test loaded
  apparmor::run_apparmor_parser({"-R"}, apparmor::generate_profile(p));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf), "policyrun-apparmor-test (enforce)\n");
}

}  // namespace
}  // namespace policy
