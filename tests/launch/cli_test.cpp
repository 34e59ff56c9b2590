// The policyrun CLI, run as users run it: a .pol file, an image directory, a command.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "launch/launch_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;

using launch_test::CliResult;
using launch_test::policyrun_binary;
using launch_test::shell_quote;
using launch_test::slurp;

namespace {

CliResult policyrun(const std::vector<std::string>& args) {
  return launch_test::run_policyrun(args);
}

std::string write_policy(const std::string& name, const std::string& text) {
  std::string path = launch_test::scratch() + "/" + name + ".pol";
  std::ofstream(path) << text;
  return path;
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

}  // namespace

TEST(PolicyrunCli, RunsTheCommandAfterTheImageUnderThePolicy) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("box", kPolicy);
  std::string state = launch_test::scratch() + "/cli-state";
  auto r = policyrun({"--policy", pol, "--root", state, "--apparmor=off", "-e", "FOO=bar", "-w",
                      "/tmp", "-u", "1000:1000", launch_test::busybox_layer(), "sh", "-c",
                      // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one script, two lines
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
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("box", kPolicy);
  auto r =
      policyrun({"--policy", pol, "--root", launch_test::scratch() + "/cli-state", "--apparmor=off",
                 launch_test::busybox_layer(), "echo", "-e", "--policy", "-t"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "--policy -t\n");
}

TEST(PolicyrunCli, ExitCodesFollowDockersConventions) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
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
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("box", kPolicy);
  std::string tar = launch_test::scratch() + "/busybox-rootfs.tar";
  std::string cmd =
      "tar -C " + shell_quote(launch_test::busybox_layer()) + " -cf " + shell_quote(tar) + " .";
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

// /proc/PID/maps of policyrun while the container of `image` runs: read once the container has
// printed "ready" (so policyrun compiled, prepared the image and launched), while the container
// waits for its stdin, which is closed only after the read.
std::string maps_while_running(const std::string& image) {
  std::string pol = write_policy("box", kPolicy);
  int to_container[2], from_container[2];
  if (::pipe2(to_container, O_CLOEXEC) != 0 || ::pipe2(from_container, O_CLOEXEC) != 0)
    return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::dup2(to_container[0], 0);
    ::dup2(from_container[1], 1);
    std::string bin = policyrun_binary(), state = launch_test::scratch() + "/cli-state";
    ::execl(bin.c_str(), bin.c_str(), "--policy", pol.c_str(), "--root", state.c_str(),
            "--apparmor=off", image.c_str(), "sh", "-c", "echo ready; read line; exit 0", nullptr);
    ::_exit(127);
  }
  ::close(to_container[0]);
  ::close(from_container[1]);
  std::string out;
  char buf[256];
  ssize_t n = 0;
  // A minute without output is a failure (the maps are then not read), never a cue to go on.
  struct pollfd pfd {
    from_container[0], POLLIN, 0
  };
  while (out.size() < 6 && ::poll(&pfd, 1, 60000) > 0 &&
         (n = ::read(from_container[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  const bool ready = out.rfind("ready\n", 0) == 0;
  std::string maps = ready ? slurp("/proc/" + std::to_string(pid) + "/maps") : "";
  ::close(to_container[1]);  // the container's `read` ends
  while ((n = ::read(from_container[0], buf, sizeof buf)) > 0) {
  }
  ::close(from_container[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(ready) << "the container never started: " << out;
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  EXPECT_NE(maps.find(fs::path(policyrun_binary()).filename().string()), std::string::npos) << maps;
  return maps;
}

}  // namespace

// libarchive (and its xml2/ICU/nettle chain) and libcrypto are loaded only to read or verify
// archives (runtime/image/lazy_library.hpp): a launch from a rootfs directory maps neither, nor
// any other shared library than libc's (POLICY_STATIC_LIBS).
TEST(PolicyrunCli, DirectoryImageLaunchMapsNoLibarchiveNorLibcrypto) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
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
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string tar = launch_test::scratch() + "/busybox-maps.tar";
  std::string cmd =
      "tar -C " + shell_quote(launch_test::busybox_layer()) + " -cf " + shell_quote(tar) + " .";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string first = maps_while_running(tar);
  EXPECT_NE(first.find("libarchive"), std::string::npos) << first;
  EXPECT_NE(first.find("libcrypto"), std::string::npos) << first;
  std::string second = maps_while_running(tar);
  EXPECT_EQ(second.find("libarchive"), std::string::npos) << second;
  EXPECT_EQ(second.find("libcrypto"), std::string::npos) << second;
}

namespace {

// kPolicy with a writable root: the launch stacks the image with overlayfs.
std::string writable_policy() {
  std::string text = kPolicy;
  text.replace(text.find("readonly; "), 10, "");
  return write_policy("box-writable", text);
}

bool empty_or_missing(const std::string& dir) {
  return !fs::exists(dir) || fs::is_empty(dir);
}

}  // namespace

// A decompression bomb (docs/images.md "Limits"): a small zstd rootfs tarball whose 100 MiB file
// of zeros passes a 64 MiB limit. Refused by the entry's header with the option that raises the
// limit, nothing left in the cache; with the limit raised the same image runs.
TEST(PolicyrunCli, ImageLimitsRefuseABombAndTheOptionRaisesThem) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = write_policy("box", kPolicy);
  std::string src = launch_test::scratch() + "/bomb-src",
              tar = launch_test::scratch() + "/bomb.tar.zst";
  fs::remove_all(src);
  fs::copy(launch_test::busybox_layer(), src,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  // A sparse file: 100 MiB of zeros that take no disk space until tar reads them.
  std::ofstream(src + "/zeros").close();
  ASSERT_EQ(::truncate((src + "/zeros").c_str(), 100 << 20), 0);
  ASSERT_EQ(std::system(
                ("tar --zstd -C " + shell_quote(src) + " -cf " + shell_quote(tar) + " .").c_str()),
            0);
  fs::remove_all(src);
  ASSERT_LT(fs::file_size(tar), 4u << 20);
  std::string root = launch_test::scratch() + "/bomb-state";
  fs::remove_all(root);
  auto r = policyrun({"--policy", pol, "--root", root, "--apparmor=off", "--image-limit",
                      "size=64M", tar, "true"});
  EXPECT_EQ(r.status, 125) << r.err;
  EXPECT_NE(r.err.find("policyrun: error: " + tar + ": layer sha256:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("entry './zeros' (100.0 MiB) takes the image's unpacked size past 64.0 MiB"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("(limit size=64M; if you trust the image, raise it with --image-limit "
                       "size=N)"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(empty_or_missing(root + "/layers/sha256")) << "a layer was left in the cache";
  EXPECT_TRUE(empty_or_missing(root + "/tmp")) << "a half-unpacked layer was left in the cache";
  auto bad =
      policyrun({"--policy", pol, "--root", root, "--image-limit", "size=lots", tar, "true"});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("--image-limit size=lots: not a number"), std::string::npos) << bad.err;
  auto ok = policyrun({"--policy", pol, "--root", root, "--apparmor=off", "--image-limit",
                       "size=128M", tar, "sh", "-c", "wc -c < /zeros"});
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_EQ(ok.out, std::to_string(100 << 20) + "\n") << ok.err;
  fs::remove_all(root);
}

// A --root overlayfs cannot name: refused before the policy is compiled or the image unpacked,
// and nothing is created (the backslash used to fail at the overlay mount, after unpacking).
TEST(PolicyrunCli, ACacheRootWithABackslashIsRefusedBeforeAnyWork) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = writable_policy();
  std::string tar = launch_test::scratch() + "/busybox-paths.tar";
  ASSERT_EQ(std::system(("tar -C " + shell_quote(launch_test::busybox_layer()) + " -cf " +
                         shell_quote(tar) + " .")
                            .c_str()),
            0);
  for (const char* name : {"/state\\x", "/state,x"}) {
    std::string root = launch_test::scratch() + name;
    fs::remove_all(root);
    auto r = policyrun({"--policy", pol, "--root", root, "--apparmor=off", tar, "true"});
    EXPECT_EQ(r.status, 125) << r.err;
    EXPECT_NE(r.err.find("policyrun: error: --root '" + root + "': contains '"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("which overlayfs mount options cannot express"), std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(root)) << "the refused --root was created: " << root;
  }
}

TEST(PolicyrunCli, BadRootfsDirectoriesAreRefusedBeforeAnyWork) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  std::string pol = writable_policy();
  std::string base = launch_test::scratch() + "/bad-images";
  fs::remove_all(base);
  fs::create_directories(base);
  std::string slash = base + "/with\\backslash";
  fs::copy(launch_test::busybox_layer(), slash,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  std::string holder = base + "/holder";
  fs::copy(launch_test::busybox_layer(), holder,
           fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::create_directory_symlink("/", base + "/host");
  struct Case {
    std::string image, root, message;
  };
  const Case cases[] = {
      {slash, base + "/state1", "contains '\\', which overlayfs mount options cannot express"},
      {"/", base + "/state2", "/: is the host's root directory"},
      {base + "/host", base + "/state3", "/host: is the host's root directory"},
      {holder, holder + "/var/lib/policyrun",
       "the rootfs directory contains the image cache and run state"},
      {base + "/state4/img", base + "/state4",
       "the rootfs directory lies inside the image cache and run state"},
  };
  fs::create_directories(base + "/state4/img/bin");
  for (const auto& c : cases) {
    auto r = policyrun({"--policy", pol, "--root", c.root, "--apparmor=off", c.image, "true"});
    EXPECT_EQ(r.status, 125) << c.image << ": " << r.err;
    EXPECT_NE(r.err.find("policyrun: error: " + c.image), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    if (c.root != base + "/state4") {
      EXPECT_FALSE(fs::exists(c.root)) << "the run created " << c.root;
    } else {
      EXPECT_EQ(std::distance(fs::directory_iterator(c.root), fs::directory_iterator()), 1)
          << "the run wrote into " << c.root;
    }
  }
  fs::remove_all(base);
}

// `-pid` and `-NET_RAW` (docs/language.md, "Removals") in the shipped example that extends
// docker-default: the kernel shows the host's pid namespace and a bounding set without NET_RAW,
// where docker-default itself gives a new pid namespace and keeps NET_RAW (bit 13).
TEST(PolicyrunCli, RemovalsFromABaseReachTheKernel) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  const std::string policies = std::string(src ? src : ".") + "/policies/";
  const std::string host_pid = fs::read_symlink("/proc/self/ns/pid").string();
  auto run = [&](const std::string& policy) {
    return policyrun({"--policy", policies + policy, "--root",
                      launch_test::scratch() + "/cli-removals-state", "--apparmor=off",
                      launch_test::busybox_layer(), "sh", "-c",
                      "readlink /proc/self/ns/pid; grep '^CapBnd:' /proc/self/status"});
  };
  auto base = run("docker-default.pol");
  ASSERT_EQ(base.status, 0) << base.err;
  EXPECT_EQ(base.out.find(host_pid + "\n"), std::string::npos) << base.out;
  EXPECT_NE(base.out.find("CapBnd:\t00000000a80425fb\n"), std::string::npos) << base.out;
  auto derived = run("docker-host-pid.pol");
  ASSERT_EQ(derived.status, 0) << derived.err;
  // 0xa80425fb without bit 13 (CAP_NET_RAW, 0x2000).
  EXPECT_EQ(derived.out, host_pid + "\nCapBnd:\t00000000a80405fb\n") << derived.err;
}
