// Docker's `docker run` flags over a policy (runtime/cli/docker_flags.hpp), through the policyrun
// binary: each flag's effect seen from inside the container, the one line a widening flag prints,
// and the hint of a flag policyrun does not take.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/cgroup.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
namespace cg = policy::launch::cgroup;
using launch_test::CliResult;
using launch_test::policyrun_binary;

namespace {

// Line 6 is the resources section (the widening notes name it).
const char* kBox = R"(policy box {
  syscalls default allow { errno(EPERM) acct }
  capabilities keep { CHOWN, DAC_OVERRIDE, NET_RAW, SETUID, SETGID }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  process { no_new_privileges; hostname "box" }
  resources { memory 128M, pids 64 }
}
)";

std::string write_file(const std::string& name, const std::string& text) {
  std::string path = launch_test::scratch() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string box() {
  static const std::string path = write_file("flags-box.pol", kBox);
  return path;
}

std::string state() {
  return launch_test::scratch() + "/flags-state";
}

// policyrun run --rm --policy POLICY --root STATE --apparmor=off FLAGS busybox sh -c SCRIPT
CliResult run(const std::vector<std::string>& flags, const std::string& script,
              const std::string& policy = box()) {
  std::vector<std::string> args = {"run",    "--rm",  "--policy",      policy,
                                   "--root", state(), "--apparmor=off"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {launch_test::busybox_layer(), "sh", "-c", script});
  return launch_test::run_policyrun(args);
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string no_cgroups() {
  return cg::detect().mode == cg::Mode::None ? "this host has no cgroup file system mounted" : "";
}

// The container's memory, pids and cpu limits as it reads them: "MEMORY PIDS QUOTA PERIOD".
std::string limits_script() {
  if (cg::detect().mode == cg::Mode::V2)
    return "echo $(cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max)";
  return "echo $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
         "/sys/fs/cgroup/cpu*/cpu.cfs_quota_us /sys/fs/cgroup/cpu*/cpu.cfs_period_us | head -4)";
}

bool has_cap(const std::string& status, int cap) {
  const size_t at = status.find("CapBnd:\t");
  if (at == std::string::npos) return false;
  return (std::stoull(status.substr(at + 8, 16), nullptr, 16) >> cap) & 1;
}

}  // namespace

TEST(DockerFlags, ResourceLimitsNarrowSilently) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()), no_cgroups());
  auto r = run({"--memory", "64m", "--pids-limit=10", "--cpus", "0.5"}, limits_script());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "67108864 10 50000 100000\n") << r.err;
  EXPECT_EQ(r.err.find("widens"), std::string::npos) << r.err;
}

TEST(DockerFlags, HigherLimitsWidenAndSaySo) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()), no_cgroups());
  auto r = run({"-m", "512m", "--pids-limit", "-1"}, limits_script());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("536870912 max ", 0), 0u) << r.out << r.err;
  EXPECT_NE(r.err.find("policyrun: note: --memory 512m widens the policy: memory 512M instead of "
                       "128M (the policy's resources (" +
                       box() + ":6:3))"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("policyrun: note: --pids-limit -1 widens the policy: pids unlimited "
                       "instead of 64"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count(r.err, "widens"), 2u) << r.err;
}

TEST(DockerFlags, CapDropAndCapAdd) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  auto drop = run({"--cap-drop", "NET_RAW", "--verbose"}, "cat /proc/self/status");
  EXPECT_EQ(drop.status, 0) << drop.err;
  EXPECT_FALSE(has_cap(drop.out, 13)) << drop.out;  // CAP_NET_RAW
  EXPECT_TRUE(has_cap(drop.out, 0)) << drop.out;    // CAP_CHOWN stays
  EXPECT_EQ(drop.err.find("widens"), std::string::npos) << drop.err;
  // The report names the command line as the capabilities' origin.
  EXPECT_NE(drop.err.find("policyrun: from the command line: --cap-drop NET_RAW: capabilities "
                          "CHOWN, DAC_OVERRIDE, SETGID, SETUID"),
            std::string::npos)
      << drop.err;
  auto add = run({"--cap-add=sys_admin", "--cap-drop", "cap_chown"}, "cat /proc/self/status");
  EXPECT_EQ(add.status, 0) << add.err;
  EXPECT_TRUE(has_cap(add.out, 21)) << add.out;  // CAP_SYS_ADMIN
  EXPECT_FALSE(has_cap(add.out, 0)) << add.out;
  EXPECT_NE(add.err.find("policyrun: note: --cap-drop cap_chown --cap-add sys_admin widens the "
                         "policy: the container gets SYS_ADMIN, which the policy drops (" +
                         box() + ":3:3)"),
            std::string::npos)
      << add.err;
  auto bad = run({"--cap-add", "NET_RAWW"}, "true");
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("--cap-add NET_RAWW: unknown capability 'NET_RAWW'; did you mean "
                         "'NET_RAW'?"),
            std::string::npos)
      << bad.err;
}

// docker-default's `when capability SYS_ADMIN` rules wake up with --cap-add SYS_ADMIN, as Docker's
// profile gives unshare, mount, setns... to `docker run --cap-add SYS_ADMIN`.
TEST(DockerFlags, CapAddDecidesThePolicysCapabilityRulesAgain) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  const std::string dd = std::string(src ? src : ".") + "/policies/docker-default.pol";
  const std::string script = "unshare -m true 2>&1 && echo unshared";
  auto without = run({"-q"}, script, dd);
  EXPECT_EQ(without.out, "unshare: unshare(0x20000): Operation not permitted\n") << without.err;
  auto with = run({"-q", "--cap-add", "SYS_ADMIN"}, script, dd);
  EXPECT_EQ(with.out, "unshared\n") << with.err;
}

TEST(DockerFlags, ReadOnlyRootVolumesAndTmpfs) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const std::string ro = launch_test::scratch() + "/flags-ro",
                    rw = launch_test::scratch() + "/flags-rw";
  fs::create_directories(ro);
  fs::create_directories(rw);
  std::ofstream(ro + "/hello") << "from the host\n";
  auto r = run({"--read-only", "-v", ro + ":/data:ro", "--volume=" + rw + ":/out", "--tmpfs",
                "/scratch:size=1m", "--mount", "type=tmpfs,target=/t2,tmpfs-size=2m"},
               "cat /data/hello; touch /data/x 2>&1; touch /x 2>&1; echo ok > /out/w; "
               "grep -c ' /scratch .* - tmpfs ' /proc/self/mountinfo; "
               "grep -c ' /t2 .* - tmpfs ' /proc/self/mountinfo; echo ok > /scratch/y && echo y");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "from the host\ntouch: /data/x: Read-only file system\n"
            "touch: /x: Read-only file system\n1\n1\ny\n")
      << r.err;
  EXPECT_EQ(launch_test::slurp(rw + "/w"), "ok\n");
  // The writable volume is the one widening flag.
  EXPECT_NE(r.err.find("policyrun: note: -v " + rw + ":/out widens"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("widens the policy: the container may write to the host's " + rw),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count(r.err, "widens"), 1u) << r.err;
  // A mount of the command line names its flag where a policy mount names its file:line:col.
  auto missing = run({"-v", "/nonexistent-flags-dir:/data"}, "true");
  EXPECT_EQ(missing.status, 125);
  EXPECT_NE(missing.err.find("policyrun: error: from the command line: -v "
                             "/nonexistent-flags-dir:/data: mount /data: bind source on the host"),
            std::string::npos)
      << missing.err;
  auto named = run({"-v", "myvolume:/data"}, "true");
  EXPECT_EQ(named.status, 125);
  EXPECT_NE(named.err.find("named volumes are not supported"), std::string::npos) << named.err;
}

TEST(DockerFlags, HostnameUlimitEnvFileUser) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const std::string env = write_file("flags.env", "# a comment\nFOO=bar baz\n\nFLAGS_FROM_HOST\n");
  ::setenv("FLAGS_FROM_HOST", "host-value", 1);
  auto r = run({"--hostname", "h", "--ulimit", "nofile=100:200", "--env-file", env, "-e",
                "FOO=wins", "--user", "1000"},
               "hostname; grep 'Max open files' /proc/self/limits | tr -s ' '; echo $FOO; "
               "echo $FLAGS_FROM_HOST; id -u");
  ::unsetenv("FLAGS_FROM_HOST");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "h\nMax open files 100 200 files \nwins\nhost-value\n1000\n") << r.err;
  EXPECT_EQ(r.err.find("widens"), std::string::npos) << r.err;
  auto host_uts = run({"--hostname", "h", "--uts", "host"}, "true");
  EXPECT_EQ(host_uts.status, 125);
  EXPECT_NE(host_uts.err.find("--hostname h: the container has the host's UTS namespace"),
            std::string::npos)
      << host_uts.err;
}

TEST(DockerFlags, PidHostSharesTheHostsPidNamespace) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  auto r = run({"--pid=host"}, "readlink /proc/self/ns/pid");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, fs::read_symlink("/proc/self/ns/pid").string() + "\n") << r.err;
  EXPECT_NE(r.err.find("policyrun: note: --pid host widens the policy"), std::string::npos)
      << r.err;
}

TEST(DockerFlags, SeccompProfileFromJson) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const std::string json = write_file(
      "flags-deny-mkdir.json",
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"],)"
      R"( "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})");
  auto before = run({}, "mkdir /tmp/d && echo made");
  EXPECT_EQ(before.out, "made\n") << before.err;
  auto r = run({"--security-opt", "seccomp=" + json, "-q"}, "mkdir /tmp/d || echo refused");
  EXPECT_EQ(r.out, "refused\n") << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--security-opt seccomp=" + json + " widens the policy"), std::string::npos)
      << r.err;
  auto off = run({"--security-opt", "seccomp=unconfined", "--security-opt=no-new-privileges=false"},
                 "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status");
  EXPECT_EQ(off.out, "NoNewPrivs:\t0\nSeccomp:\t0\n") << off.err;
  EXPECT_EQ(count(off.err, "widens"), 2u) << off.err;
}

TEST(DockerFlags, PrivilegedSaysWhatItTurnsOff) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  auto r = run({"--privileged"}, "grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("NoNewPrivs:\t0\nSeccomp:\t0\n"), std::string::npos) << r.out;
  EXPECT_TRUE(has_cap(r.out, 21) && has_cap(r.out, 40)) << r.out;  // SYS_ADMIN, CHECKPOINT_RESTORE
  for (const char* what : {"turns off seccomp", "turns off AppArmor", "turns off Landlock",
                           "turns off the capability limits", "turns off the device cgroup",
                           "turns off the masked and read-only paths", "turns off no_new_privs"})
    EXPECT_NE(r.err.find(std::string("policyrun: note: --privileged widens the policy: ") + what),
              std::string::npos)
        << what << "\n"
        << r.err;
}

TEST(DockerFlags, UnsupportedFlagsSayWhatToWriteAndLeaveNothing) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const std::string root = launch_test::scratch() + "/flags-unsupported";
  for (const std::vector<std::string>& flag :
       {std::vector<std::string>{"--sysctl", "net.ipv4.ip_forward=1"},
        std::vector<std::string>{"--device=/dev/fuse"},
        std::vector<std::string>{"--restart", "always"}}) {
    std::vector<std::string> args = {"run", "--rm", "--policy", box(), "--root", root};
    args.insert(args.end(), flag.begin(), flag.end());
    args.insert(args.end(), {launch_test::busybox_layer(), "true"});
    auto r = launch_test::run_policyrun(args);
    EXPECT_EQ(r.status, 125) << r.err;
    const std::string name = flag[0].substr(0, flag[0].find('='));
    EXPECT_NE(r.err.find("policyrun: error: " + name + " is not supported by policyrun run: "),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(root)) << "the refused run created " << root;
  }
  auto sysctl = launch_test::run_policyrun(
      {"--policy", box(), "--sysctl", "a=b", launch_test::busybox_layer(), "true"});
  EXPECT_NE(sysctl.err.find("write `sysctl { net.ipv4.ip_forward 1 }` in the policy"),
            std::string::npos)
      << sysctl.err;
}

TEST(DockerFlags, DetachedContainerRecordsTheOverriddenPolicy) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  const std::string name = "flags-detached-" + std::to_string(::getpid());
  auto started = launch_test::run_policyrun(
      {"run", "-d", "--name", name, "--policy", box(), "--root", state(), "--apparmor=off",
       "--memory", "64m", "--cap-drop", "NET_RAW", launch_test::busybox_layer(), "sleep", "30"});
  ASSERT_EQ(started.status, 0) << started.err;
  auto inspect = launch_test::run_policyrun({"inspect", "--root", state(), name});
  auto exec = launch_test::run_policyrun(
      {"exec", "--root", state(), name, "grep", "CapBnd", "/proc/self/status"});
  launch_test::run_policyrun({"rm", "-f", "--root", state(), name});
  EXPECT_NE(inspect.out.find("\"overrides\": \"--memory 64m --cap-drop NET_RAW\""),
            std::string::npos)
      << inspect.out << inspect.err;
  EXPECT_EQ(exec.status, 0) << exec.err;
  EXPECT_FALSE(has_cap(exec.out, 13)) << exec.out;  // exec applies the overridden policy
}

// The issue's "Done when": web.pol (with busybox's shell and /proc readable for the test's script)
// and every flag of
// `policyrun run --rm --policy web.pol --memory 64m --cap-drop NET_RAW --pid=host --read-only -v
// /tmp/x:/data:ro IMAGE CMD`, each applied in one run.
TEST(DockerFlags, TheIssuesCommandLine) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()), no_cgroups());
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  const std::string web = std::string(src ? src : ".") + "/policies/web.pol";
  const std::string pol = write_file(
      "flags-web.pol", "include \"" + web +
                           "\"\npolicy webx extends web {\n  filesystem {\n    read+map+exec "
                           "/bin/**\n    read /sys/fs/cgroup/**, /proc/**\n  }\n}\n");
  const std::string data = launch_test::scratch() + "/flags-x";
  fs::create_directories(data);
  std::ofstream(data + "/index.html") << "hello\n";
  const std::string memory = cg::detect().mode == cg::Mode::V2
                                 ? "/sys/fs/cgroup/memory.max"
                                 : "/sys/fs/cgroup/memory/memory.limit_in_bytes";
  auto r = run({"--memory", "64m", "--cap-drop", "NET_RAW", "--pid=host", "--read-only", "-v",
                data + ":/data:ro", "--verbose"},
               "cat " + memory +
                   "; grep CapBnd /proc/self/status; readlink /proc/self/ns/pid; cat "
                   "/data/index.html; awk '$5 == \"/\" {print substr($6, 1, 3)}' "
                   "/proc/self/mountinfo",
               pol);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "67108864\nCapBnd:\t00000000000004c1\n" +
                       fs::read_symlink("/proc/self/ns/pid").string() + "\nhello\nro,\n")
      << r.err;
  EXPECT_EQ(count(r.err, "widens"), 1u) << r.err;  // --pid host only
  for (const char* flag : {"--memory 64m: memory 64M", "--cap-drop NET_RAW: capabilities",
                           "--read-only: read-only root", "-v "})
    EXPECT_NE(r.err.find(std::string("policyrun: from the command line: ") + flag),
              std::string::npos)
        << flag << "\n"
        << r.err;
}
