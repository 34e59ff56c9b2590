// The policyrun CLI, run as users run it: a .pol file, an image directory, a command.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "launch/launch_fixture.hpp"

namespace fs = std::filesystem;

namespace {

struct CliResult {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string write_policy(const std::string& name, const std::string& text) {
  std::string path = launch_test::scratch() + "/" + name + ".pol";
  std::ofstream(path) << text;
  return path;
}

// $POLICYRUN (set by CTest), else the policyrun built beside this test binary.
std::string policyrun_binary() {
  if (const char* bin = std::getenv("POLICYRUN"); bin && *bin) return bin;
  return (fs::read_symlink("/proc/self/exe").parent_path() / "policyrun").string();
}

CliResult policyrun(const std::vector<std::string>& args) {
  std::string cmd = quote(policyrun_binary());
  for (const auto& a : args) cmd += " " + quote(a);
  std::string out = launch_test::scratch() + "/cli.out", err = launch_test::scratch() + "/cli.err";
  cmd += " </dev/null >" + out + " 2>" + err;
  int rc = std::system(cmd.c_str());
  CliResult r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

const char* kPolicy = R"(policy box {
  syscalls default allow {
    errno(EXDEV) mkdir, mkdirat
  }
  capabilities keep { CHOWN, SETUID, SETGID }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  resources { memory 64M, pids 64 }
  process { no_new_privileges; hostname "box" }
  rootfs { readonly; tmpfs /tmp size=1M }
}
)";

void require_root_and_binary() {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  if (!fs::exists(policyrun_binary()))
    GTEST_SKIP() << "no policyrun binary at " << policyrun_binary();
}

}  // namespace

TEST(PolicyrunCli, RunsTheCommandAfterTheImageUnderThePolicy) {
  require_root_and_binary();
  if (::testing::Test::IsSkipped()) return;
  std::string pol = write_policy("box", kPolicy);
  std::string state = launch_test::scratch() + "/cli-state";
  auto r = policyrun({"--policy", pol, "--root", state, "--apparmor=off", "-e", "FOO=bar", "-w",
                      "/tmp", "-u", "1000:1000", launch_test::busybox_layer(), "sh", "-c",
                      "hostname; id -u; pwd; echo $FOO; grep -E '^(CapBnd|NoNewPrivs|Seccomp):' "
                      "/proc/self/status; mkdir /tmp/x; touch /etc/y; exit 3"});
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "box\n1000\n/tmp\nbar\nCapBnd:\t00000000000000c1\nNoNewPrivs:\t1\nSeccomp:\t2\n")
      << r.err;
  EXPECT_NE(r.err.find("Invalid cross-device link"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  // A read-only root of one layer needs no state directory at all (rootfs.hpp).
  EXPECT_TRUE(!fs::exists(state + "/run") || fs::is_empty(state + "/run"))
      << "the run's state directory was left behind";
}

TEST(PolicyrunCli, ArgumentsAfterTheImageBelongToTheCommand) {
  require_root_and_binary();
  if (::testing::Test::IsSkipped()) return;
  std::string pol = write_policy("box", kPolicy);
  auto r =
      policyrun({"--policy", pol, "--root", launch_test::scratch() + "/cli-state", "--apparmor=off",
                 launch_test::busybox_layer(), "echo", "-e", "--policy", "-t"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "--policy -t\n");
}

TEST(PolicyrunCli, ExitCodesFollowDockersConventions) {
  require_root_and_binary();
  if (::testing::Test::IsSkipped()) return;
  std::string pol = write_policy("box", kPolicy);
  std::string root = launch_test::scratch() + "/cli-state";
  auto missing = policyrun({"--policy", pol, "--root", root, "--apparmor=off",
                            launch_test::busybox_layer(), "no-such-command"});
  EXPECT_EQ(missing.status, 127);
  EXPECT_NE(missing.err.find("policyrun: error: exec no-such-command"), std::string::npos)
      << missing.err;
  auto noexec = policyrun({"--policy", pol, "--root", root, "--apparmor=off",
                           launch_test::busybox_layer(), "/etc/passwd"});
  EXPECT_EQ(noexec.status, 126) << noexec.err;
  auto bad = write_policy("bad", "policy bad {\n  capabilities keep { CHWON }\n}\n");
  auto diag = policyrun({"--policy", bad, "--root", root, launch_test::busybox_layer(), "true"});
  EXPECT_EQ(diag.status, 125);
  EXPECT_NE(diag.err.find(bad + ":2:"), std::string::npos) << diag.err;
  auto usage = policyrun({launch_test::busybox_layer()});
  EXPECT_EQ(usage.status, 125);
  EXPECT_NE(usage.err.find("--policy FILE is required"), std::string::npos) << usage.err;
}

TEST(PolicyrunCli, RootfsTarballImageEntrypointAndUserNames) {
  require_root_and_binary();
  if (::testing::Test::IsSkipped()) return;
  std::string pol = write_policy("box", kPolicy);
  std::string tar = launch_test::scratch() + "/busybox-rootfs.tar";
  std::string cmd = "tar -C " + quote(launch_test::busybox_layer()) + " -cf " + quote(tar) + " .";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto r = policyrun({"--policy", pol, "--root", launch_test::scratch() + "/cli-state",
                      "--apparmor=off", "-u", "root", "--entrypoint", "/bin/id", tar, "-u"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0\n") << r.err;
  auto unknown = policyrun({"--policy", pol, "--root", launch_test::scratch() + "/cli-state",
                            "--apparmor=off", "-u", "nobody-here", tar, "true"});
  EXPECT_EQ(unknown.status, 125);
  EXPECT_NE(unknown.err.find("'nobody-here' is not in the image's /etc/passwd"), std::string::npos)
      << unknown.err;
}

namespace {

// /proc/PID/maps of policyrun while the container of `image` runs (read when it prints "ready").
std::string maps_while_running(const std::string& image) {
  std::string pol = write_policy("box", kPolicy);
  std::string out = launch_test::scratch() + "/maps-test.out";
  std::ofstream(out).close();
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_TRUNC);
    ::dup2(fd, 1);
    std::string bin = policyrun_binary(), state = launch_test::scratch() + "/cli-state";
    ::execl(bin.c_str(), bin.c_str(), "--policy", pol.c_str(), "--root", state.c_str(),
            "--apparmor=off", image.c_str(), "sh", "-c", "echo ready; sleep 2", nullptr);
    ::_exit(127);
  }
  // The container printing "ready" means policyrun compiled, prepared the image and launched.
  for (int i = 0; i < 200 && slurp(out).find("ready") == std::string::npos; ++i) ::usleep(20000);
  std::string maps = slurp("/proc/" + std::to_string(pid) + "/maps");
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_NE(slurp(out).find("ready"), std::string::npos) << "the container never started";
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  EXPECT_NE(maps.find(fs::path(policyrun_binary()).filename().string()), std::string::npos) << maps;
  return maps;
}

}  // namespace

// libarchive (and its xml2/ICU/nettle chain) and libcrypto are loaded only to read or verify
// archives (runtime/image/lazy_library.hpp): a launch from a rootfs directory maps neither, nor
// any other shared library than libc's (POLICY_STATIC_LIBS).
TEST(PolicyrunCli, DirectoryImageLaunchMapsNoLibarchiveNorLibcrypto) {
  require_root_and_binary();
  if (::testing::Test::IsSkipped()) return;
  std::string maps = maps_while_running(launch_test::busybox_layer());
  EXPECT_NE(maps.find("libc.so"), std::string::npos) << maps;
  EXPECT_EQ(maps.find("libarchive"), std::string::npos) << maps;
  EXPECT_EQ(maps.find("libxml2"), std::string::npos) << maps;
  EXPECT_EQ(maps.find("libicu"), std::string::npos) << maps;
  EXPECT_EQ(maps.find("libcrypto"), std::string::npos) << maps;
}

// The first launch of a tarball unpacks and verifies it (both libraries loaded); the next one is
// answered by the image record (runtime/image/image.cpp) and the layer cache: neither is loaded.
TEST(PolicyrunCli, RememberedTarballLaunchMapsNoLibarchiveNorLibcrypto) {
  require_root_and_binary();
  if (::testing::Test::IsSkipped()) return;
  std::string tar = launch_test::scratch() + "/busybox-maps.tar";
  std::string cmd = "tar -C " + quote(launch_test::busybox_layer()) + " -cf " + quote(tar) + " .";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string first = maps_while_running(tar);
  EXPECT_NE(first.find("libarchive"), std::string::npos) << first;
  EXPECT_NE(first.find("libcrypto"), std::string::npos) << first;
  std::string second = maps_while_running(tar);
  EXPECT_EQ(second.find("libarchive"), std::string::npos) << second;
  EXPECT_EQ(second.find("libcrypto"), std::string::npos) << second;
}
