// The shipped policies (policies/*.pol) refuse for real, end to end through the policyrun binary:
// a probe (tests/support/denial_probe.c, static) in a busybox image makes one operation a layer
// must refuse - a syscall refused with EPERM, one that kills (SIGSYS, exit 159), a capability, a
// Landlock path, the pids limit - and the kernel's answer is checked.
// Each probe is then run again with its layer switched off by a test-only preload
// (tests/support/layer_off_preload.c): the operation must now succeed, which shows that the
// refusal came from that layer and not from another, or the probe would prove nothing. Where
// policyrun notices the missing layer (no_new_privs), it must refuse to launch instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/landlock.hpp"
#include "support/kernel_skip.hpp"
#include "support/layer_off.hpp"

namespace fs = std::filesystem;

namespace {

struct DenialProbe {
  const char* name;
  const char* policy;  // a file of policies/
  const char* check;   // denial_probe's argument
  // Under the policy: the probe's stdout (or its prefix for fork) and policyrun's exit status.
  const char* refused_out;
  int refused_status;
  const char* layer;  // POLICY_TEST_LAYER_OFF for the preload
  // With that layer off: the probe's stdout and policyrun's status.
  const char* off_out;
  int off_status;
};

const DenialProbe kProbes[] = {
    // docker-default.pol allows personality() only for Docker's five personas.
    {"SeccompErrno", "docker-default.pol", "personality", "personality=EPERM\n", 0, "seccomp",
     "personality=OK\n", 0},
    // web.pol: "kill ptrace, process_vm_readv, process_vm_writev".
    {"SeccompKill", "web.pol", "ptrace", "", 128 + SIGSYS, "seccomp", "ptrace=OK\n", 0},
    // docker-default.pol keeps Docker's 14 capabilities, not SYS_NICE; setpriority is allowed.
    {"CapabilityDropped", "docker-default.pol", "nice", "nice=EACCES\n", 0, "caps", "nice=OK\n", 0},
    // web.pol writes only under its log, cache, run and tmp directories.
    {"LandlockWrite", "web.pol", "write-shm", "write-shm=EACCES\n", 0, "landlock", "write-shm=OK\n",
     0},
    // web.pol reads /etc/hosts, /etc/passwd ... but not /etc/hostname.
    {"LandlockRead", "web.pol", "read-hostname", "read-hostname=EACCES\n", 0, "landlock",
     "read-hostname=OK\n", 0},
    // redis.pol: pids 64. Without the limit all 200 forks succeed.
    {"PidsLimit", "redis.pol", "fork", "fork=", 0, "cgroup", "fork=200 OK\n", 0},
};

std::string policy_path(const char* file) {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  return std::string(src ? src : ".") + "/policies/" + file;
}

// Where the probe sits for each policy: web.pol and redis.pol let only their server execute.
std::string probe_command(const std::string& policy) {
  if (policy == "web.pol") return "/usr/sbin/nginx";
  if (policy == "redis.pol") return "/usr/bin/redis-server";
  return "/bin/denial_probe";
}

// A busybox layer with the probe at every probe_command().
const std::string& probe_image() {
  static const std::string dir = [] {
    std::string d = launch_test::busybox_copy("denial-probe");
    // redis.pol runs as `user redis`, looked up in the image, as Debian's package makes it.
    std::ofstream(d + "/etc/passwd", std::ios::app)
        << "redis:x:100:101::/var/lib/redis:/bin/false\n";
    std::ofstream(d + "/etc/group", std::ios::app) << "redis:x:101:\n";
    for (const char* pol : {"docker-default.pol", "web.pol", "redis.pol"}) {
      const fs::path to = d + probe_command(pol);
      fs::create_directories(to.parent_path());
      fs::copy_file(POLICY_TEST_DENIAL_PROBE, to);
    }
    return d;
  }();
  return dir;
}

launch_test::CliResult run_probe(const char* policy, const char* check) {
  return launch_test::run_policyrun({"--policy", policy_path(policy), "--root",
                                     launch_test::scratch() + "/denials-state", "--apparmor=off",
                                     probe_image(), probe_command(policy), check});
}

// The number before the space in "fork=N ERR".
int forks_made(const std::string& out) {
  return std::atoi(out.c_str() + out.find('=') + 1);
}

class ShippedPolicyDenials : public ::testing::TestWithParam<DenialProbe> {
 protected:
  void SetUp() override {
    SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
    if (std::string(GetParam().layer) == "landlock" && policy::launch::landlock_abi() == 0)
      GTEST_SKIP() << "this kernel has no Landlock (policyrun's best-effort mode runs without it)";
  }
};

TEST_P(ShippedPolicyDenials, TheKernelRefuses) {
  const DenialProbe& p = GetParam();
  const auto r = run_probe(p.policy, p.check);
  EXPECT_EQ(r.status, p.refused_status) << r.out << r.err;
  if (std::string(p.check) == "fork") {
    // The limit counts every process of the run: fewer than 64 forks, and the refusal is EAGAIN.
    EXPECT_LT(forks_made(r.out), 64) << r.out;
    EXPECT_NE(r.out.find(" EAGAIN\n"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.err.find("hit its pids limit of 64"), std::string::npos) << r.err;
  } else {
    EXPECT_EQ(r.out, p.refused_out) << r.err;
  }
  if (p.refused_status == 128 + SIGSYS) {
    EXPECT_NE(r.err.find("seccomp"), std::string::npos) << "policyrun does not say why: " << r.err;
  }
}

TEST_P(ShippedPolicyDenials, TheProbeSucceedsWithItsLayerSwitchedOff) {
  const DenialProbe& p = GetParam();
  LayerOff off(p.layer);
  const auto r = run_probe(p.policy, p.check);
  EXPECT_EQ(r.status, p.off_status) << r.out << r.err;
  EXPECT_EQ(r.out, p.off_out) << r.err;
}

INSTANTIATE_TEST_SUITE_P(Probes, ShippedPolicyDenials, ::testing::ValuesIn(kProbes),
                         [](const auto& info) { return std::string(info.param.name); });

// policyrun installs web.pol's seccomp filter and Landlock ruleset as an unprivileged process,
// which the kernel allows only under no_new_privs: without it, the launch must stop (fail closed)
// rather than run the command with neither.
TEST(ShippedPolicyNoNewPrivs, SetUnderWebAndTheLaunchFailsClosedWithoutIt) {
  SKIP_UNLESS(needs::root());
  const auto on = run_probe("web.pol", "nnp");
  EXPECT_EQ(on.status, 0) << on.err;
  EXPECT_EQ(on.out, "nnp=1\n") << on.err;
  LayerOff off("nnp");
  const auto r = run_probe("web.pol", "nnp");
  EXPECT_EQ(r.status, 125) << r.out << r.err;
  EXPECT_EQ(r.out, "") << r.err;
  EXPECT_NE(r.err.find("no_new_privileges"), std::string::npos) << r.err;
}

}  // namespace
