// Learn mode end to end, with the real policyrun on the launch tests' busybox image: learn a
// workload under docker-default, enforce the learned policy on the same workload (it succeeds),
// watch the kernel refuse what the learned run never did (a syscall, a socket family) although
// docker-default allows it, and merge a second learn run into the same file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "launch/launch_fixture.hpp"
#include "runtime/learn/writer.hpp"

namespace fs = std::filesystem;
using launch_test::CliResult;
using launch_test::run_policyrun;

namespace {

std::string docker_default() {
  return std::string(std::getenv("POLICY_SOURCE_DIR")) + "/policies/docker-default.pol";
}

// The workload: write and read a file, make a TCP socket (nothing listens on port 9 of the
// container's own loopback: the connect is refused), exit.
const char* kWorkload =
    "echo learned > /tmp/f && cat /tmp/f && busybox nc 127.0.0.1 9 </dev/null; echo nc=$?";

CliResult run_under(const std::string& policy, const std::string& script,
                    const std::string& learn = "") {
  std::vector<std::string> args = {"--policy", policy, "--root", launch_test::state_root()};
  if (!learn.empty()) args.insert(args.end(), {"--learn", learn});
  args.insert(args.end(), {launch_test::busybox_layer(), "/bin/sh", "-c", script});
  return run_policyrun(args);
}

}  // namespace

TEST(LearnKernel, LearnThenEnforceThenMerge) {
  const std::string dir = launch_test::scratch() + "/learn";
  fs::create_directories(dir);
  const std::string out = dir + "/busybox.pol";
  fs::remove(out);

  // 1. Learn.
  CliResult learned = run_under(docker_default(), kWorkload, out);
  ASSERT_EQ(learned.status, 0) << learned.err;
  EXPECT_EQ(learned.out, "learned\nnc=1\n") << learned.err;
  EXPECT_NE(learned.err.find("Landlock and AppArmor rules are not applied"), std::string::npos)
      << learned.err;
  EXPECT_NE(learned.err.find("policyrun: learned "), std::string::npos) << learned.err;
  const std::string text = launch_test::slurp(out);
  ASSERT_FALSE(text.empty()) << learned.err;
  EXPECT_NE(text.find("policy busybox extends docker-default {"), std::string::npos) << text;
  EXPECT_NE(text.find("allow socket(domain == AF_INET)"), std::string::npos) << text;
  EXPECT_NE(text.find("read+write /tmp/**"), std::string::npos) << text;  // created there
  EXPECT_NE(text.find("exec /bin/sh"), std::string::npos) << text;
  EXPECT_NE(text.find("first by sh (pid "), std::string::npos) << text;
  EXPECT_NE(text.find("\"runs\":1"), std::string::npos) << text;

  // 2. policyc compiles it without a warning.
  const std::string compile =
      "\"" + std::string(std::getenv("POLICYC")) + "\" compile " + out + " -o " + dir + " 2>&1";
  FILE* f = popen(compile.c_str(), "r");
  std::string diag;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) diag.append(buf, n);
  EXPECT_EQ(pclose(f), 0) << diag;
  EXPECT_EQ(diag.find("warning"), std::string::npos) << diag;

  // 3. Enforce: the same workload succeeds.
  CliResult enforced = run_under(out, kWorkload);
  EXPECT_EQ(enforced.status, 0) << enforced.err << "\n" << text;
  EXPECT_EQ(enforced.out, "learned\nnc=1\n") << enforced.err << "\n" << text;

  // 4. What the learned run never did is refused, although docker-default allows it: mkdir (a
  // syscall never called) and a netlink socket (a family never used).
  const char* kMkdir = "mkdir /tmp/d && echo made";
  const char* kNetlink = "busybox ip link show lo >/dev/null && echo netlink";
  EXPECT_EQ(run_under(docker_default(), kMkdir).out, "made\n");
  EXPECT_EQ(run_under(docker_default(), kNetlink).out, "netlink\n");
  CliResult mkdir_refused = run_under(out, kMkdir);
  EXPECT_NE(mkdir_refused.status, 0);
  EXPECT_NE(mkdir_refused.err.find("Operation not permitted"), std::string::npos)
      << mkdir_refused.err;
  CliResult netlink_refused = run_under(out, kNetlink);
  EXPECT_NE(netlink_refused.status, 0);
  EXPECT_NE(netlink_refused.err.find("Operation not permitted"), std::string::npos)
      << netlink_refused.err;

  // 5. A second learn run with mkdir merges into the same file: now both workloads run.
  CliResult second = run_under(docker_default(), kMkdir, out);
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_NE(second.err.find("(2 runs merged)"), std::string::npos) << second.err;
  const std::string merged = launch_test::slurp(out);
  EXPECT_NE(merged.find("from 2 runs"), std::string::npos) << merged;
  EXPECT_EQ(run_under(out, kMkdir).out, "made\n") << merged;
  EXPECT_EQ(run_under(out, kWorkload).out, "learned\nnc=1\n") << merged;
}

TEST(LearnKernel, AnExistingPolicyThatWasNotLearnedIsNeverOverwritten) {
  const std::string dir = launch_test::scratch() + "/learn-refuse";
  fs::create_directories(dir);
  const std::string out = dir + "/mine.pol";
  fs::copy_file(docker_default(), out, fs::copy_options::overwrite_existing);
  CliResult r = run_under(docker_default(), "echo ran", out);
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_EQ(r.out, "");  // refused before anything ran
  EXPECT_NE(r.err.find("is not a learned policy"), std::string::npos) << r.err;
  EXPECT_EQ(launch_test::slurp(out), launch_test::slurp(docker_default()));
}

// Under a base that keeps no_new_privileges and has no filesystem section, the learned file and
// port rules are Landlock rules: the workload still runs, a write elsewhere and a bind to another
// port are refused by the kernel, although the base alone allows both.
TEST(LearnKernel, FileAndPortRulesUnderABaseThatAppliesLandlock) {
  const std::string dir = launch_test::scratch() + "/learn-landlock";
  fs::create_directories(dir);
  const std::string base = dir + "/lockable.pol";
  std::ofstream(base) << "include \"" << std::getenv("POLICY_SOURCE_DIR")
                      << "/policies/groups/docker.pol\"\n"
                         "policy lockable {\n"
                         "  syscalls default errno(EPERM) {\n"
                         "    allow @docker, arch_prctl\n"
                         "    allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})\n"
                         "    errno(ENOSYS) clone3\n"
                         "  }\n"
                         "  namespaces { mount, pid, ipc, uts, net }\n"
                         "  process { no_new_privileges }\n"
                         "}\n";
  const std::string out = dir + "/busybox.pol";
  fs::remove(out);
  // Write a file, listen on port 8080 for a moment.
  const char* kWorkload =
      "echo learned > /tmp/f && cat /tmp/f && busybox timeout 1 busybox nc -l -p 8080; echo ok";
  CliResult learned = run_under(base, kWorkload, out);
  ASSERT_EQ(learned.status, 0) << learned.err;
  const std::string text = launch_test::slurp(out);
  EXPECT_NE(text.find("\n    bind tcp 8080 "), std::string::npos) << text;
  EXPECT_NE(text.find("\n    read+write /tmp/** "), std::string::npos) << text;

  CliResult enforced = run_under(out, kWorkload);
  EXPECT_EQ(enforced.status, 0) << enforced.err << "\n" << text;
  EXPECT_EQ(enforced.out, learned.out) << enforced.err << "\n" << text;

  const char* kElsewhere = "echo x > /etc/x && echo wrote";
  const char* kOtherPort = "busybox timeout 1 busybox nc -l -p 8081; echo nc=$?";
  CliResult base_writes = run_under(base, kElsewhere);
  EXPECT_EQ(base_writes.out, "wrote\n") << base_writes.err;
  CliResult write_refused = run_under(out, kElsewhere);
  EXPECT_EQ(write_refused.out, "");
  EXPECT_NE(write_refused.err.find("Permission denied"), std::string::npos) << write_refused.err;
  CliResult bind_refused = run_under(out, kOtherPort);
  EXPECT_NE(bind_refused.err.find("Permission denied"), std::string::npos)
      << bind_refused.out << bind_refused.err;
  EXPECT_EQ(run_under(base, kOtherPort).err.find("Permission denied"), std::string::npos);
}
