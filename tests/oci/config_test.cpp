// runtime/oci/config.cpp: real bundles (runc spec's, containerd's shape, written ones) into the
// IR the launch applies; every refusal names the JSON path.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <string>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/importer/seccomp_json.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "launch/launch_fixture.hpp"
#include "oci/bundle_fixture.hpp"
#include "runtime/oci/config.hpp"
#include "support/runc_oracle.hpp"

using nlohmann::json;
using policy::oci::ContainerConfig;
using policy::oci::load_bundle;
namespace ir = policy::ir;
using oci_test::has_line;
using oci_test::mask;
using oci_test::report_text;

namespace {

// The message load_bundle throws for `config` ("" when it loads).
std::string error_of(const json& config, const std::string& name = "bad") {
  const std::string bundle = oci_test::new_bundle(name);
  oci_test::write_config(bundle, config);
  try {
    load_bundle(bundle);
  } catch (const policy::Error& e) {
    return e.what();
  }
  return "";
}

// `runc spec` (with `extra` arguments) in a new bundle.
std::string runc_spec_bundle(const std::string& name, const std::vector<std::string>& extra) {
  std::string bundle = oci_test::new_bundle(name);
  std::string cmd = oci_test::runc_binary() + " spec --bundle " + bundle;
  for (const auto& e : extra) cmd += " " + e;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return bundle;
}

const ir::NamespaceSpec* find_ns(const ir::Policy& p, ir::NamespaceKind k) {
  for (const auto& n : p.namespaces.namespaces)
    if (n.kind == k) return &n;
  return nullptr;
}

}  // namespace

TEST(OciConfig, RuncSpecLoadsIntoTheIr) {
  if (oci_test::runc_binary().empty()) GTEST_SKIP() << "runc is not installed";
  const std::string bundle = runc_spec_bundle("runc-spec", {});
  ContainerConfig c = load_bundle(bundle);
  EXPECT_EQ(c.bundle, bundle);
  EXPECT_EQ(c.rootfs, bundle + "/rootfs");
  EXPECT_TRUE(c.rootfs_readonly);
  EXPECT_TRUE(c.policy->rootfs.readonly);
  EXPECT_EQ(c.process.args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(c.process.terminal);
  EXPECT_EQ(c.process.user, "0:0");
  EXPECT_EQ(c.process.cwd, "/");
  const uint64_t three = mask({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  EXPECT_EQ(c.policy->capabilities.bounding, three);
  EXPECT_EQ(c.policy->capabilities.effective, three);
  EXPECT_EQ(c.policy->capabilities.inheritable, 0u);
  // runc spec lists ambient capabilities without inheritable ones: not raisable, said.
  EXPECT_EQ(c.policy->capabilities.ambient, 0u);
  EXPECT_TRUE(has_line(c, "process.capabilities.ambient")) << report_text(c);
  EXPECT_TRUE(c.policy->process.no_new_privileges);
  ASSERT_EQ(c.policy->process.rlimits.size(), 1u);
  EXPECT_EQ(c.policy->process.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(c.policy->process.rlimits[0].soft, 1024u);
  EXPECT_EQ(c.policy->process.hostname, std::optional<std::string>("runc"));
  for (auto k : {ir::NamespaceKind::Pid, ir::NamespaceKind::Net, ir::NamespaceKind::Ipc,
                 ir::NamespaceKind::Uts, ir::NamespaceKind::Mount})
    EXPECT_TRUE(c.policy->namespaces.has(k)) << ir::namespace_name(k);
  EXPECT_FALSE(c.policy->namespaces.has(ir::NamespaceKind::User));
  auto& masked = c.policy->rootfs.masked_paths;
  EXPECT_NE(std::find(masked.begin(), masked.end(), "/proc/kcore"), masked.end());
  auto& ro = c.policy->rootfs.readonly_paths;
  EXPECT_NE(std::find(ro.begin(), ro.end(), "/proc/sys"), ro.end());
  // Every mount of runc spec is one the launch makes itself.
  EXPECT_TRUE(c.policy->rootfs.mounts.empty());
  EXPECT_TRUE(has_line(c, "/dev: made by the launch")) << report_text(c);
  EXPECT_TRUE(has_line(c, "not applied from the config: strictatime")) << report_text(c);
  // The device list refuses everything; the standard nodes are added as runc does.
  EXPECT_TRUE(c.policy->resources.devices.specified);
  EXPECT_EQ(c.policy->resources.devices.rules.size(), ir::default_device_rules().size());
  EXPECT_FALSE(c.policy->resources.devices.unrestricted());
  EXPECT_TRUE(c.filters.empty());                                           // no linux.seccomp
  EXPECT_EQ(c.policy->seccomp.default_action.kind, ir::ActionKind::Allow);  // nothing filtered
}

TEST(OciConfig, RuncRootlessSpecHasAUserNamespaceAndMaps) {
  if (oci_test::runc_binary().empty()) GTEST_SKIP() << "runc is not installed";
  const std::string bundle = runc_spec_bundle("runc-rootless", {"--rootless"});
  ContainerConfig c = load_bundle(bundle);
  ASSERT_TRUE(c.policy->namespaces.has(ir::NamespaceKind::User));
  ASSERT_EQ(c.policy->namespaces.uid_map.size(), 1u);
  EXPECT_EQ(c.policy->namespaces.uid_map[0].inside, 0u);
  EXPECT_EQ(c.policy->namespaces.uid_map[0].outside, ::getuid());
  EXPECT_EQ(c.policy->namespaces.uid_map[0].count, 1u);
  EXPECT_EQ(c.policy->namespaces.gid_map[0].outside, ::getgid());
  EXPECT_FALSE(c.policy->namespaces.has(ir::NamespaceKind::Net));  // rootless: the host's
  // /sys as an rbind of the host's: the launch's own /sys, and the bind is not used.
  EXPECT_TRUE(has_line(c, "/sys: made by the launch")) << report_text(c);
  EXPECT_TRUE(has_line(c, "the config's bind of /sys is not used")) << report_text(c);
}

TEST(OciConfig, ContainerdDefaultSpecLoads) {
  const std::string bundle = oci_test::new_bundle("containerd");
  json config = oci_test::containerd_default_config({"/bin/sh", "-c", "echo hi"});
  config["process"]["env"].push_back("A=b=c");
  oci_test::write_config(bundle, config);
  ContainerConfig c = load_bundle(bundle);
  EXPECT_FALSE(c.rootfs_readonly);
  EXPECT_EQ(c.process.args, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(c.process.env.back(), "A=b=c");
  EXPECT_EQ(c.policy->capabilities.bounding,
            policy::importer::JsonImportOptions::docker_default_capabilities());
  EXPECT_EQ(c.policy->capabilities.permitted, c.policy->capabilities.bounding);
  EXPECT_TRUE(c.policy->process.no_new_privileges);
  // /run is containerd's own tmpfs: a mount of the plan with its options.
  ASSERT_EQ(c.policy->rootfs.mounts.size(), 1u);
  const ir::MountSpec& run = c.policy->rootfs.mounts[0];
  EXPECT_EQ(run.kind, ir::MountSpec::Tmpfs);
  EXPECT_EQ(run.target, "/run");
  EXPECT_EQ(run.options,
            (std::vector<std::string>{"nosuid", "strictatime", "mode=755", "size=65536k"}));
  EXPECT_TRUE(has_line(c, "linux.cgroupsPath /default/test: not used")) << report_text(c);
  ASSERT_TRUE(find_ns(*c.policy, ir::NamespaceKind::Net));
  EXPECT_TRUE(find_ns(*c.policy, ir::NamespaceKind::Net)->creates());
}

TEST(OciConfig, NamespacePathsAreJoined) {
  const std::string bundle = oci_test::new_bundle("ns-path");
  json config = oci_test::containerd_default_config();
  config["linux"]["namespaces"][4] = {{"type", "network"}, {"path", "/proc/self/ns/net"}};
  oci_test::write_config(bundle, config);
  ContainerConfig c = load_bundle(bundle);
  const ir::NamespaceSpec* net = find_ns(*c.policy, ir::NamespaceKind::Net);
  ASSERT_TRUE(net);
  EXPECT_EQ(net->join_path, "/proc/self/ns/net");
  EXPECT_FALSE(net->creates());
}

TEST(OciConfig, ResourcesAndMountsBecomeThePlan) {
  const std::string bundle = oci_test::new_bundle("resources");
  const std::string data = oci_test::new_bundle("resources-data");
  json config = oci_test::containerd_default_config();
  config["linux"]["resources"]["memory"] = {{"limit", 67108864}, {"swap", 134217728}};
  config["linux"]["resources"]["cpu"] = {
      {"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}};
  config["linux"]["resources"]["pids"] = {{"limit", 64}};
  config["linux"]["resources"]["devices"].push_back(
      {{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 200}, {"access", "rwm"}});
  config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  config["mounts"].push_back({{"destination", "/data"},
                              {"type", "bind"},
                              {"source", data},
                              {"options", {"rbind", "ro", "rprivate"}}});
  config["mounts"].push_back({{"destination", "/scratch"},
                              {"type", "tmpfs"},
                              {"source", "tmpfs"},
                              {"options", {"size=1m", "mode=1777", "noexec"}}});
  config["mounts"].push_back(
      {{"destination", "/rel"}, {"source", "rootfs"}, {"options", {"bind"}}});
  oci_test::write_config(bundle, config);
  ContainerConfig c = load_bundle(bundle);
  const ir::ResourceLimits& r = c.policy->resources;
  EXPECT_EQ(r.memory_bytes, std::optional<uint64_t>(67108864));
  EXPECT_EQ(r.memory_swap_bytes, std::optional<uint64_t>(134217728));
  EXPECT_EQ(r.cpu_shares, std::optional<uint64_t>(512));
  EXPECT_EQ(r.cpu_quota_us, std::optional<int64_t>(50000));
  EXPECT_EQ(r.cpu_period_us, std::optional<uint64_t>(100000));
  EXPECT_EQ(r.cpuset_cpus, std::optional<std::string>("0"));
  EXPECT_EQ(r.pids, std::optional<uint64_t>(64));
  const bool tun = std::any_of(r.devices.rules.begin(), r.devices.rules.end(), [](auto& d) {
    return d.type == ir::DeviceRule::Char && d.major == 10 && d.minor == 200 && d.access == 7;
  });
  EXPECT_TRUE(tun);
  ASSERT_EQ(c.policy->sysctls.size(), 1u);
  EXPECT_EQ(c.policy->sysctls[0].key, "net.ipv4.ip_forward");
  ASSERT_EQ(c.policy->rootfs.mounts.size(), 4u);
  const ir::MountSpec& bind = c.policy->rootfs.mounts[1];
  EXPECT_EQ(bind.kind, ir::MountSpec::Bind);
  EXPECT_EQ(bind.source, data);
  EXPECT_EQ(bind.options, (std::vector<std::string>{"rbind", "ro"}));
  EXPECT_TRUE(has_line(c, "propagation rprivate not applied")) << report_text(c);
  const ir::MountSpec& tmp = c.policy->rootfs.mounts[2];
  EXPECT_EQ(tmp.kind, ir::MountSpec::Tmpfs);
  EXPECT_EQ(tmp.options, (std::vector<std::string>{"size=1m", "mode=1777", "noexec"}));
  // A relative bind source is the bundle's.
  EXPECT_EQ(c.policy->rootfs.mounts[3].source, bundle + "/rootfs");
  EXPECT_EQ(c.policy->rootfs.mounts[3].options, std::vector<std::string>{"bind"});
}

// Docker writes the zero value of every resource it was not given: none is a limit (a memory
// limit of 0 bytes would kill the container at once), and none is "not applied".
TEST(OciConfig, DockersZeroValuesAreNoLimits) {
  const std::string bundle = oci_test::new_bundle("zeros");
  json config = oci_test::containerd_default_config();
  config["linux"]["resources"]["memory"] = {
      {"limit", 0}, {"swap", 0}, {"reservation", 0}, {"disableOOMKiller", false}};
  config["linux"]["resources"]["cpu"] = {
      {"shares", 0}, {"quota", 0}, {"period", 0}, {"cpus", ""}, {"mems", ""}};
  config["linux"]["resources"]["pids"] = {{"limit", 0}};
  config["linux"]["resources"]["blockIO"] = json::object();
  oci_test::write_config(bundle, config);
  ContainerConfig c = load_bundle(bundle);
  const ir::ResourceLimits& r = c.policy->resources;
  EXPECT_FALSE(r.memory_bytes || r.memory_swap_bytes || r.cpu_shares || r.cpu_quota_us ||
               r.cpu_period_us || r.pids || r.cpuset_cpus || r.cpuset_mems);
  EXPECT_FALSE(has_line(c, "not applied (policyrun has no such knob)")) << report_text(c);
  config["linux"]["resources"]["memory"] = {{"limit", -2}};
  EXPECT_NE(error_of(config).find("linux.resources.memory.limit: must be -1 (no limit)"),
            std::string::npos);
  config["linux"]["resources"]["memory"] = {{"reservation", 1024}};
  oci_test::write_config(bundle, config);
  EXPECT_TRUE(has_line(load_bundle(bundle), "linux.resources.memory.reservation: not applied"));
}

TEST(OciConfig, DeviceListsAreReadInOrder) {
  json config = oci_test::containerd_default_config();
  // Allow all char devices, then take write away from all of them: read-only chars remain.
  config["linux"]["resources"]["devices"] = {{{"allow", false}, {"access", "rwm"}},
                                             {{"allow", true}, {"type", "c"}, {"access", "rw"}},
                                             {{"allow", false}, {"type", "c"}, {"access", "w"}}};
  const std::string bundle = oci_test::new_bundle("devices");
  oci_test::write_config(bundle, config);
  ContainerConfig c = load_bundle(bundle);
  const auto& rules = c.policy->resources.devices.rules;
  EXPECT_FALSE(has_line(c, "none in the config: the default allowlist")) << report_text(c);
  const bool any_char_read = std::any_of(rules.begin(), rules.end(), [](auto& d) {
    return d.type == ir::DeviceRule::Char && d.major < 0 && d.minor < 0 &&
           d.access == ir::DeviceRule::Read;
  });
  EXPECT_TRUE(any_char_read);
  // A refusal inside an earlier allow cannot be an allowlist: refused, with its path.
  config["linux"]["resources"]["devices"][2] = {
      {"allow", false}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "w"}};
  EXPECT_NE(error_of(config).find("config.json: linux.resources.devices[2]: a refusal narrower"),
            std::string::npos)
      << error_of(config);
  // Neither covers the other, but both name c 1:3: refused too, never read as wider.
  config["linux"]["resources"]["devices"][1] = {
      {"allow", true}, {"type", "c"}, {"major", 1}, {"access", "rw"}};
  config["linux"]["resources"]["devices"][2] = {
      {"allow", false}, {"type", "c"}, {"minor", 3}, {"access", "w"}};
  EXPECT_NE(error_of(config).find("linux.resources.devices[2]: a refusal narrower"),
            std::string::npos)
      << error_of(config);
  // No list at all: the default allowlist, never runc's "every device", and said.
  config["linux"]["resources"].erase("devices");
  oci_test::write_config(bundle, config);
  ContainerConfig none = load_bundle(bundle);
  EXPECT_FALSE(none.policy->resources.devices.unrestricted());
  EXPECT_EQ(none.policy->resources.devices.rules.size(), ir::default_device_rules().size());
  EXPECT_TRUE(has_line(none, "linux.resources.devices: none in the config: the default allowlist"))
      << report_text(none);
}

// Each refusal names the file and the JSON path of the problem.
TEST(OciConfig, ErrorsNameTheJsonPath) {
  struct Case {
    std::string name;
    std::function<void(json&)> change;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"ns", [](json& c) { c["linux"]["namespaces"][2]["type"] = "foo"; },
       "config.json: linux.namespaces[2].type: unknown namespace 'foo'"},
      {"ns-dup",
       [](json& c) {
         c["linux"]["namespaces"].push_back({{"type", "pid"}});
       },
       "linux.namespaces[5].type: namespace 'pid' repeated"},
      {"version", [](json& c) { c["ociVersion"] = "2.0.0"; },
       "config.json: ociVersion: '2.0.0' is not supported"},
      {"noversion", [](json& c) { c.erase("ociVersion"); }, "config.json: ociVersion: missing"},
      {"cap", [](json& c) { c["process"]["capabilities"]["bounding"][1] = "CAP_FOO"; },
       "config.json: process.capabilities.bounding[1]: unknown capability 'CAP_FOO'"},
      {"cap-eff",
       [](json& c) { c["process"]["capabilities"]["effective"].push_back("CAP_SYS_ADMIN"); },
       "config.json: process.capabilities: "},
      {"rlimit", [](json& c) { c["process"]["rlimits"][0]["type"] = "RLIMIT_NOFILES"; },
       "process.rlimits[0].type: unknown resource limit 'RLIMIT_NOFILES'; did you mean "
       "'RLIMIT_NOFILE'?"},
      {"rlimit-order", [](json& c) { c["process"]["rlimits"][0]["soft"] = 4096; },
       "process.rlimits[0].soft: is above the hard limit"},
      {"args", [](json& c) { c["process"]["args"] = json::array(); },
       "config.json: process.args: must name the command"},
      {"cwd", [](json& c) { c["process"]["cwd"] = "relative"; },
       "process.cwd: 'relative' must be an absolute path"},
      {"uid", [](json& c) { c["process"]["user"]["uid"] = -1; },
       "process.user.uid: must be a non-negative integer"},
      {"mount-type",
       [](json& c) {
         c["mounts"].push_back({{"destination", "/x"}, {"type", "overlay"}, {"source", "o"}});
       },
       "config.json: mounts[7].type: mount type 'overlay' at /x is not supported"},
      {"mount-option",
       [](json& c) {
         c["mounts"].push_back(
             {{"destination", "/x"}, {"type", "tmpfs"}, {"options", {"nosuid", "huge=always"}}});
       },
       "config.json: mounts[7].options[1]: mount option 'huge=always' is not supported"},
      {"mount-dest", [](json& c) { c["mounts"][6]["destination"] = "run"; },
       "mounts[6].destination: 'run' must be an absolute path"},
      {"bind-source",
       [](json& c) {
         c["mounts"].push_back({{"destination", "/x"},
                                {"type", "bind"},
                                {"source", "/nonexistent/policyrun-test"},
                                {"options", {"rbind"}}});
       },
       "mounts[7].source: the bind mount's source: /nonexistent/policyrun-test"},
      {"hostname",
       [](json& c) {
         c["hostname"] = "h";
         c["linux"]["namespaces"].erase(2);  // uts
       },
       "config.json: hostname: setting a hostname needs a uts namespace"},
      {"uidmap",
       [](json& c) {
         c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
       },
       "linux.uidMappings: id mappings need a user namespace"},
      {"hooks",
       [](json& c) {
         c["hooks"] = {{"prestart", {{{"path", "/bin/true"}}}}};
       },
       "config.json: hooks.prestart: hooks are not supported"},
      {"device-node",
       [](json& c) {
         c["linux"]["devices"] = {
             {{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229}}};
       },
       "config.json: linux.devices[0].path: device node /dev/fuse cannot be created"},
      {"ns-mount-path", [](json& c) { c["linux"]["namespaces"][3]["path"] = "/proc/self/ns/mnt"; },
       "linux.namespaces[3].path: joining an existing mount namespace is not supported"},
      {"sysctl-host",
       [](json& c) {
         c["linux"]["sysctl"] = {{"kernel.panic", "1"}};
       },
       "config.json: linux.sysctl.kernel.panic: sysctl 'kernel.panic' is not namespaced"},
      {"sysctl-joined-host",
       [](json& c) {
         c["linux"]["namespaces"][4]["path"] = "/proc/self/ns/net";  // policyrun's own
         c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
       },
       "linux.sysctl.net.ipv4.ip_forward: sysctl 'net.ipv4.ip_forward' needs a new net namespace"},
      {"memory",
       [](json& c) {
         c["linux"]["resources"]["memory"] = {{"limit", "64m"}};
       },
       "config.json: linux.resources.memory.limit: must be an integer"},
      {"device-access",
       [](json& c) {
         c["linux"]["resources"]["devices"].push_back({{"allow", true}, {"access", "rwx"}});
       },
       "linux.resources.devices[1].access: 'rwx' must be letters of rwm"},
      {"seccomp",
       [](json& c) {
         c["linux"]["seccomp"] = {
             {"defaultAction", "SCMP_ACT_ERRNO"},
             {"syscalls", {{{"names", {"read"}}, {"action", "SCMP_ACT_NOPE"}}}}};
       },
       "config.json: linux.seccomp"},
      {"seccomp-agent-type",
       [](json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"listenerPath", 1}};
       },
       "config.json: linux.seccomp.listenerPath: must be a string"},
      {"seccomp-agent",
       [](json& c) {
         c["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                  {"listenerPath", "/run/agent.sock"}};
       },
       "linux.seccomp.listenerPath: a seccomp agent"},
      {"personality",
       [](json& c) {
         c["linux"]["personality"] = {{"domain", "LINUX32"}};
       },
       "config.json: linux.personality: is not supported"},
      {"root", [](json& c) { c["root"]["path"] = "missing-rootfs"; },
       "config.json: root.path: the root filesystem"},
      {"process", [](json& c) { c.erase("process"); }, "config.json: process: missing"},
      {"policy-name",
       [](json& c) {
         c["annotations"] = {{"org.policyrun.policy-name", "x"}};
       },
       "annotations.org.policyrun.policy-name: names a policy but org.policyrun.policy gives no "
       "file"},
      {"annotation-type",
       [](json& c) {
         c["annotations"] = {{"a", 1}};
       },
       "config.json: annotations.a: must be a string"},
  };
  for (const Case& k : cases) {
    json config = oci_test::containerd_default_config();
    k.change(config);
    const std::string message = error_of(config, "err-" + k.name);
    EXPECT_NE(message.find(k.expected), std::string::npos)
        << k.name << ": got \"" << message << "\"";
  }
}

TEST(OciConfig, BrokenFilesAreRefusedWithTheirName) {
  const std::string bundle = oci_test::new_bundle("broken");
  oci_test::write_file(bundle + "/config.json", "{\"ociVersion\": \"1.0.2\",");
  try {
    load_bundle(bundle);
    FAIL() << "loaded";
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find(bundle + "/config.json: not valid JSON"),
              std::string::npos)
        << e.what();
  }
  // A config.json that is not a file of sane size is not read to its end.
  oci_test::write_file(bundle + "/config.json", std::string(5 << 20, ' '));
  EXPECT_THROW(load_bundle(bundle), policy::Error);
  EXPECT_THROW(load_bundle(bundle + "/nonexistent"), policy::Error);
}

// The config's linux.seccomp, compiled by the project's generator, decides every call as runc
// (libseccomp, rule by rule) decides the same profile.
TEST(OciConfig, SeccompDecidesLikeRunc) {
  const std::string bundle = oci_test::new_bundle("seccomp");
  json config = oci_test::containerd_default_config();
  const uint64_t caps = policy::importer::JsonImportOptions::docker_default_capabilities();
  const json seccomp = oci_test::docker_oci_seccomp(caps);
  config["linux"]["seccomp"] = seccomp;
  oci_test::write_config(bundle, config);
  const auto start = std::chrono::steady_clock::now();
  ContainerConfig c = load_bundle(bundle);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(c.filters.size(), 1u);
  policy::importer::JsonImportOptions options;
  options.capabilities = caps;
  const auto runc = policy::seccomp::compile_json_like_runc(seccomp, options, true);
  const auto arches = policy::names::default_target_arches();
  auto diff = policy::seccomp::first_difference(
      c.filters[0], runc, arches, policy::seccomp::policy_constants(c.policy->seccomp));
  EXPECT_FALSE(diff) << *diff;
  EXPECT_TRUE(has_line(c, "linux.seccomp: ")) << report_text(c);
  std::cout << "Docker's profile from config.json: " << c.filters[0].size()
            << " instructions (runc's libseccomp program: " << runc.size() << "); load_bundle took "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";
}

TEST(OciConfig, SeccompCapabilitiesAreTheBoundingSet) {
  // With CAP_SYS_ADMIN in the bounding set, Docker's profile (as dockerd filters it for those
  // capabilities) allows mount; the import must gate on the config's bounding set too.
  const std::string bundle = oci_test::new_bundle("seccomp-caps");
  json config = oci_test::containerd_default_config();
  for (const char* set : {"bounding", "effective", "permitted"})
    config["process"]["capabilities"][set].push_back("CAP_SYS_ADMIN");
  const uint64_t caps =
      policy::importer::JsonImportOptions::docker_default_capabilities() | mask({"CAP_SYS_ADMIN"});
  json moby = json::parse(launch_test::slurp(std::string(std::getenv("POLICY_SHARED_DIR")) +
                                             "/data/profiles/moby-default.seccomp.json"));
  config["linux"]["seccomp"] = moby;  // Docker's own format, with its capability gates
  oci_test::write_config(bundle, config);
  ContainerConfig c = load_bundle(bundle);
  const uint32_t arch = policy::names::native_arch();
  const int mount_nr = *policy::names::syscall_number("mount", arch);
  const ir::Action allowed = policy::seccomp::decide(c.policy->seccomp, arch, mount_nr, {},
                                                     policy::frontend::host_kernel_version());
  EXPECT_EQ(allowed.kind, ir::ActionKind::Allow);
  policy::importer::JsonImportOptions options;
  options.capabilities = caps;
  auto runc = policy::seccomp::compile_json_like_runc(moby, options, true);
  auto diff =
      policy::seccomp::first_difference(c.filters[0], runc, policy::names::default_target_arches(),
                                        policy::seccomp::policy_constants(c.policy->seccomp));
  EXPECT_FALSE(diff) << *diff;
}

TEST(OciConfig, ProcessJsonForExec) {
  const std::string bundle = oci_test::new_bundle("exec");
  oci_test::write_config(bundle, oci_test::containerd_default_config());
  ContainerConfig c = load_bundle(bundle);
  json process = {{"args", {"/bin/ls", "-l"}},
                  {"cwd", "/tmp"},
                  {"env", {"PATH=/bin"}},
                  {"user", {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {5, 6}}}},
                  {"capabilities", {{"bounding", {"CAP_KILL"}}, {"permitted", {"CAP_KILL"}}}},
                  {"noNewPrivileges", false}};
  auto e = policy::oci::load_process(process, "process.json", c);
  EXPECT_EQ(e.process.args, (std::vector<std::string>{"/bin/ls", "-l"}));
  EXPECT_EQ(e.process.cwd, "/tmp");
  EXPECT_EQ(e.process.user, "1000:1000");
  EXPECT_EQ(e.process.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(e.policy->capabilities.bounding, mask({"CAP_KILL"}));
  EXPECT_FALSE(e.policy->process.no_new_privileges);
  // The container's own layers stay: its namespaces, masks and devices.
  EXPECT_EQ(e.policy->rootfs.masked_paths, c.policy->rootfs.masked_paths);
  EXPECT_TRUE(e.policy->namespaces.has(ir::NamespaceKind::Pid));
  process["capabilities"]["bounding"][0] = "CAP_NOPE";
  try {
    policy::oci::load_process(process, "process.json", c);
    FAIL() << "loaded";
  } catch (const policy::Error& err) {
    EXPECT_NE(std::string(err.what())
                  .find("process.json: capabilities.bounding[0]: unknown capability 'CAP_NOPE'"),
              std::string::npos)
        << err.what();
  }
}
