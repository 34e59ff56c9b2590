// A bundle's config, loaded by runtime/oci/config.cpp, run by the launch engine: the kernel
// refuses what the config (and the annotation's policy) refuse. The bundle's root is the tests'
// busybox layer; each seccomp program of ContainerConfig::filters is installed in its own run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "launch/launch_fixture.hpp"
#include "oci/bundle_fixture.hpp"
#include "runtime/oci/config.hpp"

using nlohmann::json;
using policy::oci::ContainerConfig;

namespace {

const char* const kScript =
    "grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status; "
    "mkdir /tmp/d && echo mkdir-ok; "
    "touch /tmp/f && chmod 600 /tmp/f && echo chmod-ok; "
    "echo timer_list $(cat /proc/timer_list | wc -c); "
    "hostname";

json bundle_config() {
  json config = oci_test::containerd_default_config({"/bin/sh", "-c", kScript});
  config["root"]["path"] = launch_test::busybox_layer();
  config["process"]["env"] = {"PATH=/bin"};
  config["process"]["noNewPrivileges"] = false;
  const json caps = {"CAP_CHOWN", "CAP_KILL", "CAP_FOWNER"};
  config["process"]["capabilities"] = {
      {"bounding", caps}, {"permitted", caps}, {"effective", caps}};
  config["hostname"] = "oci-box";
  config["mounts"].erase(6);  // containerd's /run: not needed here
  config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls",
       {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 13}}}}};
  return config;
}

launch_test::Result run(const ContainerConfig& c, const std::vector<sock_filter>& filter) {
  policy::launch::LaunchRequest req = launch_test::busybox_request(*c.policy, c.process.args);
  req.lower_dirs = {c.rootfs};
  req.env = c.process.env;
  req.cwd = c.process.cwd;
  req.user = c.process.user;
  req.seccomp_filter = filter;
  return launch_test::run_request(req);
}

}  // namespace

TEST(OciConfigKernel, TheConfigIsWhatTheKernelEnforces) {
  if (::getuid() != 0) GTEST_SKIP() << "the launch needs root";
  const std::string bundle = oci_test::new_bundle("kernel");
  oci_test::write_config(bundle, bundle_config());
  ContainerConfig c = policy::oci::load_bundle(bundle);
  ASSERT_EQ(c.filters.size(), 1u);
  launch_test::Result r = run(c, c.filters[0]);
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  // CHOWN (0), KILL (5), FOWNER (3): 0x29, in the bounding and the effective set.
  EXPECT_NE(r.out.find("CapBnd:\t0000000000000029"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapEff:\t0000000000000029"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t0"), std::string::npos) << r.out;
  // linux.seccomp: mkdir gets EACCES from the filter (root could otherwise create it).
  EXPECT_EQ(r.out.find("mkdir-ok"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("chmod-ok"), std::string::npos) << r.out;
  // maskedPaths: /proc/timer_list (7 KB of kernel timers on the host) reads as /dev/null.
  EXPECT_NE(r.out.find("timer_list 0\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("oci-box"), std::string::npos) << r.out;
}

TEST(OciConfigKernel, TheAnnotationPolicyNarrowsWhatTheKernelEnforces) {
  if (::getuid() != 0) GTEST_SKIP() << "the launch needs root";
  const std::string bundle = oci_test::new_bundle("kernel-annotated");
  const std::string pol = bundle + "/narrow.pol";
  oci_test::write_file(pol,
                       "policy narrow {\n"
                       "  syscalls default allow { errno(EPERM) chmod, fchmod, fchmodat }\n"
                       "  capabilities keep { CHOWN, FOWNER, SETUID }\n"
                       "  process { no_new_privileges }\n"
                       "}\n");
  json config = bundle_config();
  config["annotations"] = {{"org.policyrun.policy", pol}};
  oci_test::write_config(bundle, config);
  ContainerConfig c = policy::oci::load_bundle(bundle);
  ASSERT_EQ(c.filters.size(), 2u);
  // The config's filter, under the narrowed policy: KILL is gone (the policy keeps it not),
  // SETUID never came (the config gives it not); no_new_privs is on.
  launch_test::Result first = run(c, c.filters[0]);
  EXPECT_NE(first.out.find("CapBnd:\t0000000000000009"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("NoNewPrivs:\t1"), std::string::npos) << first.out;
  EXPECT_EQ(first.out.find("mkdir-ok"), std::string::npos) << first.out;
  // The policy's filter: chmod is refused by it.
  launch_test::Result second = run(c, c.filters[1]);
  EXPECT_EQ(second.out.find("chmod-ok"), std::string::npos) << second.out;
  EXPECT_NE(second.err.find("Operation not permitted"), std::string::npos) << second.err;
  EXPECT_NE(second.out.find("mkdir-ok"), std::string::npos) << second.out;
}
