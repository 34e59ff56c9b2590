// runtime/oci/overlay.cpp: the org.policyrun.policy annotation's policy on top of the config;
// the result is never wider than either.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/importer/seccomp_json.hpp"
#include "oci/bundle_fixture.hpp"
#include "runtime/oci/config.hpp"

using nlohmann::json;
using policy::oci::ContainerConfig;
namespace ir = policy::ir;
using oci_test::has_line;
using oci_test::mask;
using oci_test::report_text;

namespace {

const char* const kPolicy =
    "policy narrow {\n"                                                           // 1
    "  syscalls default allow {\n"                                                // 2
    "    errno(EACCES) mkdir, mkdirat\n"                                          // 3
    "  }\n"                                                                       // 4
    "  capabilities keep { CHOWN, NET_BIND_SERVICE, SETUID, SYS_ADMIN }\n"        // 5
    "  resources { memory 64M, pids 50, cpu.shares 2048 }\n"                      // 6
    "  process { no_new_privileges; rlimit nofile 256 512; rlimit nproc 100 }\n"  // 7
    "  rootfs { readonly; masked /secret }\n"                                     // 8
    "  namespaces { mount, pid, ipc, uts, net, cgroup }\n"                        // 9
    "}\n";

// A containerd-shaped bundle (Docker's 14 capabilities, NOFILE 1024, memory 128M, pids 100,
// writable root, no cgroup namespace) with `policy_text` attached by annotation.
std::string annotated_bundle(const std::string& name, const std::string& policy_text,
                             json* config_out = nullptr) {
  std::string bundle = oci_test::new_bundle(name);
  const std::string pol = bundle + "/narrow.pol";
  oci_test::write_file(pol, policy_text);
  json config = oci_test::containerd_default_config();
  config["process"]["noNewPrivileges"] = false;
  config["linux"]["resources"]["memory"] = {{"limit", 128 << 20}};
  config["linux"]["resources"]["pids"] = {{"limit", 100}};
  config["linux"]["resources"]["cpu"] = {{"shares", 1024}};
  config["linux"]["seccomp"] = oci_test::docker_oci_seccomp(
      policy::importer::JsonImportOptions::docker_default_capabilities());
  config["annotations"] = {{"org.policyrun.policy", pol}};
  if (config_out) *config_out = config;
  oci_test::write_config(bundle, config);
  return bundle;
}

}  // namespace

TEST(OciAnnotation, PolicyNarrowsTheConfigNeverWidens) {
  const std::string bundle = annotated_bundle("annotated", kPolicy);
  ContainerConfig c = policy::oci::load_bundle(bundle);
  ASSERT_TRUE(c.annotation_policy);
  const ir::Policy& p = *c.policy;
  // Capabilities: the intersection, set by set. SYS_ADMIN (policy only) stays out; MKNOD
  // (config only) too.
  const uint64_t both = mask({"CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETUID"});
  EXPECT_EQ(p.capabilities.bounding, both);
  EXPECT_EQ(p.capabilities.permitted, both);
  EXPECT_EQ(p.capabilities.effective, both);
  EXPECT_TRUE(has_line(c, "capabilities.bounding: ")) << report_text(c);
  EXPECT_TRUE(has_line(c, "narrow.pol:5:")) << report_text(c);
  // Limits: the lower of each, whichever side it comes from.
  EXPECT_EQ(p.resources.memory_bytes, std::optional<uint64_t>(64u << 20));
  EXPECT_EQ(p.resources.pids, std::optional<uint64_t>(50));
  EXPECT_EQ(p.resources.cpu_shares, std::optional<uint64_t>(1024));  // the config's is lower
  auto nofile = std::find_if(p.process.rlimits.begin(), p.process.rlimits.end(),
                             [](auto& r) { return r.resource == RLIMIT_NOFILE; });
  ASSERT_NE(nofile, p.process.rlimits.end());
  EXPECT_EQ(nofile->soft, 256u);
  EXPECT_EQ(nofile->hard, 512u);
  EXPECT_TRUE(std::any_of(p.process.rlimits.begin(), p.process.rlimits.end(),
                          [](auto& r) { return r.resource == RLIMIT_NPROC && r.hard == 100; }));
  // no_new_privileges and the read-only root: or-ed. Masks: the union.
  EXPECT_TRUE(p.process.no_new_privileges);
  EXPECT_TRUE(c.rootfs_readonly);
  EXPECT_TRUE(p.rootfs.readonly);
  auto& masked = p.rootfs.masked_paths;
  EXPECT_NE(std::find(masked.begin(), masked.end(), "/secret"), masked.end());
  EXPECT_NE(std::find(masked.begin(), masked.end(), "/proc/kcore"), masked.end());
  // The policy's cgroup namespace, which the config leaves to the host, is added.
  EXPECT_TRUE(p.namespaces.has(ir::NamespaceKind::Cgroup));
  EXPECT_TRUE(has_line(c, "namespace cgroup: new, where the config shares the host's"))
      << report_text(c);
  // Both seccomp filters are installed: the config's, then the policy's.
  ASSERT_EQ(c.filters.size(), 2u);
  EXPECT_FALSE(c.filters[0].empty());
  EXPECT_FALSE(c.filters[1].empty());
  EXPECT_NE(c.filters[0].size(), c.filters[1].size());
  EXPECT_EQ(p.name, "narrow");
  std::cout << report_text(c);  // what `policyrun state` and the log show
}

TEST(OciAnnotation, TheConfigsLowerLimitsStay) {
  json config;
  const std::string bundle = annotated_bundle("annotated-lower", kPolicy, &config);
  config["linux"]["resources"]["memory"] = {{"limit", 32 << 20}};
  config["linux"]["resources"]["pids"] = {{"limit", 10}};
  config["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN"}}, {"permitted", {"CAP_CHOWN"}}};
  oci_test::write_config(bundle, config);
  ContainerConfig c = policy::oci::load_bundle(bundle);
  EXPECT_EQ(c.policy->resources.memory_bytes, std::optional<uint64_t>(32u << 20));
  EXPECT_EQ(c.policy->resources.pids, std::optional<uint64_t>(10));
  EXPECT_EQ(c.policy->capabilities.bounding, mask({"CAP_CHOWN"}));
  EXPECT_EQ(c.policy->capabilities.effective, 0u);
}

TEST(OciAnnotation, ExecIsNarrowedLikeTheContainer) {
  ContainerConfig c = policy::oci::load_bundle(annotated_bundle("annotated-exec", kPolicy));
  json process = {{"args", {"/bin/sh"}},
                  {"cwd", "/"},
                  {"user", {{"uid", 0}, {"gid", 0}}},
                  {"capabilities",
                   {{"bounding", {"CAP_CHOWN", "CAP_SYS_PTRACE"}},
                    {"permitted", {"CAP_CHOWN", "CAP_SYS_PTRACE"}},
                    {"effective", {"CAP_CHOWN", "CAP_SYS_PTRACE"}}}},
                  {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 4096}, {"hard", 4096}}}}};
  auto e = policy::oci::load_process(process, "process.json", c);
  EXPECT_EQ(e.policy->capabilities.bounding, mask({"CAP_CHOWN"}));
  EXPECT_EQ(e.policy->capabilities.effective, mask({"CAP_CHOWN"}));
  EXPECT_TRUE(e.policy->process.no_new_privileges);  // the policy's, over the process's false
  auto nofile = std::find_if(e.policy->process.rlimits.begin(), e.policy->process.rlimits.end(),
                             [](auto& r) { return r.resource == RLIMIT_NOFILE; });
  ASSERT_NE(nofile, e.policy->process.rlimits.end());
  EXPECT_EQ(nofile->hard, 512u);
  // A container read back from the runtime's state has its annotations and its policy, not the
  // compiled annotation policy: the exec is narrowed all the same.
  c.annotation_policy.reset();
  auto again = policy::oci::load_process(process, "process.json", c);
  EXPECT_EQ(again.policy->capabilities.bounding, mask({"CAP_CHOWN"}));
  EXPECT_TRUE(again.policy->process.no_new_privileges);
}

TEST(OciAnnotation, APolicyThatDoesNotCompileStopsTheContainer) {
  const std::string bundle =
      annotated_bundle("annotated-broken", "policy broken {\n  capabilities keep { NOPE }\n}\n");
  try {
    policy::oci::load_bundle(bundle);
    FAIL() << "loaded without its policy";
  } catch (const policy::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("annotations.org.policyrun.policy: the policy"), std::string::npos) << m;
    EXPECT_NE(m.find("does not compile"), std::string::npos) << m;
    EXPECT_NE(m.find("narrow.pol:2:"), std::string::npos) << m;  // the policy's own diagnostic
  }
  json config;
  const std::string missing = annotated_bundle("annotated-missing", kPolicy, &config);
  config["annotations"]["org.policyrun.policy"] = missing + "/nonexistent.pol";
  oci_test::write_config(missing, config);
  EXPECT_THROW(policy::oci::load_bundle(missing), policy::Error);
  config["annotations"]["org.policyrun.policy"] = "relative.pol";
  oci_test::write_config(missing, config);
  EXPECT_THROW(policy::oci::load_bundle(missing), policy::Error);
  // Only a policy file is read: not a host file whose lines the diagnostics would quote, nor a
  // directory.
  for (const std::string& other : {std::string("/etc/passwd"), missing + "/rootfs.pol"}) {
    if (other.find("rootfs.pol") != std::string::npos) std::filesystem::create_directory(other);
    config["annotations"]["org.policyrun.policy"] = other;
    oci_test::write_config(missing, config);
    try {
      policy::oci::load_bundle(missing);
      ADD_FAILURE() << other << " was read";
    } catch (const policy::Error& e) {
      EXPECT_EQ(std::string(e.what()).find("root:"), std::string::npos) << e.what();
    }
  }
}

TEST(OciAnnotation, DevicesAreTheIntersection) {
  json config;
  const std::string bundle = annotated_bundle(
      "annotated-devices",
      "policy dev {\n  devices { allow c 1:3 rw; allow c 10:200 rwm; allow c 1:5 r }\n}\n",
      &config);
  config["linux"]["resources"]["devices"].push_back(
      {{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 200}, {"access", "rw"}});
  oci_test::write_config(bundle, config);
  ContainerConfig c = policy::oci::load_bundle(bundle);
  const auto& rules = c.policy->resources.devices.rules;
  auto find = [&](int64_t major, int64_t minor) -> const ir::DeviceRule* {
    for (const auto& r : rules)
      if (r.type == ir::DeviceRule::Char && r.major == major && r.minor == minor) return &r;
    return nullptr;
  };
  ASSERT_TRUE(find(10, 200));
  EXPECT_EQ(find(10, 200)->access, ir::DeviceRule::Read | ir::DeviceRule::Write);  // config: rw
  ASSERT_TRUE(find(1, 3));
  EXPECT_EQ(find(1, 3)->access, ir::DeviceRule::Read | ir::DeviceRule::Write);  // policy: rw
  ASSERT_TRUE(find(1, 5));
  EXPECT_EQ(find(1, 5)->access, ir::DeviceRule::Read);
  EXPECT_FALSE(find(1, 9));  // urandom: the config's, not the policy's
  EXPECT_TRUE(has_line(c, "where the config's")) << report_text(c);
  // Identical lists meet in the same list (no rule another grants), and nothing is said.
  config["annotations"]["org.policyrun.policy"] = bundle + "/same.pol";
  oci_test::write_file(bundle + "/same.pol", "policy same {}\n");
  config["linux"]["resources"].erase("devices");
  oci_test::write_config(bundle, config);
  ContainerConfig same = policy::oci::load_bundle(bundle);
  EXPECT_EQ(same.policy->resources.devices.rules.size(), ir::default_device_rules().size());
  EXPECT_FALSE(has_line(same, "where the config's")) << report_text(same);
}

TEST(OciAnnotation, CpuTimeAndCpusetsNarrow) {
  json config;
  const std::string bundle = annotated_bundle(
      "annotated-cpu", "policy cpu {\n  resources { cpus 0.5, cpuset.cpus \"1-3\" }\n}\n", &config);
  config["linux"]["resources"]["cpu"] = {{"quota", 80000}, {"period", 100000}, {"cpus", "0-1"}};
  oci_test::write_config(bundle, config);
  ContainerConfig c = policy::oci::load_bundle(bundle);
  // Half a CPU (the policy's) is less than 0.8 (the config's); the CPUs both allow: 1.
  EXPECT_EQ(c.policy->resources.cpu_quota_us, std::optional<int64_t>(50000));
  EXPECT_EQ(c.policy->resources.cpu_period_us, std::optional<uint64_t>(100000));
  EXPECT_EQ(c.policy->resources.cpuset_cpus, std::optional<std::string>("1"));
  // No CPU in common: refused, never one side's list.
  config["linux"]["resources"]["cpu"]["cpus"] = "0";
  oci_test::write_config(bundle, config);
  try {
    policy::oci::load_bundle(bundle);
    ADD_FAILURE() << "loaded";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find("the config's 0 and the policy's 1-3 have nothing in "
                                         "common"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("narrow.pol:2:"), std::string::npos) << e.what();
  }
  // The config's smaller share stays.
  config["linux"]["resources"]["cpu"] = {{"quota", 20000}, {"period", 100000}};
  oci_test::write_config(bundle, config);
  ContainerConfig low = policy::oci::load_bundle(bundle);
  EXPECT_EQ(low.policy->resources.cpu_quota_us, std::optional<int64_t>(20000));
}
