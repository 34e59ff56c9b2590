// The Docker seccomp JSON policyc writes keeps Docker's gates: converted by Docker's own rules
// (tests/support/docker_oracle) for a capability set, host architecture and kernel, and built as
// runc builds it, it gives the filter moby's default.json gives for the same set.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/json.hpp"
#include "support/docker_oracle.hpp"
#include "support/runc_oracle.hpp"

using namespace policy;
using nlohmann::json;

namespace {

std::string shared_dir() {
  const char* d = std::getenv("POLICY_SHARED_DIR");
  return d ? d : "/work/shared";
}

std::string source_dir() {
  const char* d = std::getenv("POLICY_SOURCE_DIR");
  return d ? d : POLICY_TEST_SOURCE_DIR;
}

json moby_profile() {
  std::ifstream in(shared_dir() + "/data/profiles/moby-default.seccomp.json");
  if (!in) throw Error("cannot read moby-default.seccomp.json under " + shared_dir());
  return json::parse(in);
}

ir::Policy docker_default() {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(source_dir() + "/policies/docker-default.pol", {}, diags);
  if (!p) throw Error("docker-default.pol does not compile");
  return *p;
}

uint32_t arch(const char* n) {
  return *names::arch_token(n);
}

uint64_t docker_14() {
  return importer::JsonImportOptions::docker_default_capabilities();
}

uint64_t with(uint64_t mask, std::initializer_list<const char*> caps) {
  for (const char* c : caps) mask |= uint64_t{1} << *names::capability_number(c);
  return mask;
}

std::vector<uint64_t> constants(const json& a, const json& b) {
  std::set<uint64_t> out;
  for (const json* p : {&a, &b})
    for (const json& c : (*p)["syscalls"])
      if (c.contains("args") && c["args"].is_array())
        for (const json& x : c["args"]) {
          out.insert(x.value("value", uint64_t{0}));
          out.insert(x.value("valueTwo", uint64_t{0}));
        }
  return {out.begin(), out.end()};
}

struct CapSet {
  const char* name;
  uint64_t mask;
};

std::vector<CapSet> capability_sets() {
  return {{"Docker's 14", docker_14()},
          {"14+SYS_ADMIN", with(docker_14(), {"SYS_ADMIN"})},
          {"14+SYS_PTRACE", with(docker_14(), {"SYS_PTRACE"})},
          {"14+every gated capability",
           with(docker_14(), {"SYS_ADMIN", "SYS_PTRACE", "SYS_BOOT", "SYS_MODULE", "SYS_TIME",
                              "SYS_NICE", "SYS_RAWIO", "SYS_PACCT", "SYS_TTY_CONFIG", "SYSLOG",
                              "DAC_READ_SEARCH", "BPF", "PERFMON"})},
          {"all", ~uint64_t{0} >> (63 - names::last_capability())},
          {"none", 0}};
}

// Our export and moby's profile, each through Docker's conversion and runc, for one host.
void expect_same_filters(const json& ours, uint32_t host, const ir::KernelVersion& kernel) {
  const json moby = moby_profile();
  for (const CapSet& caps : capability_sets()) {
    importer::JsonImportOptions opt;
    opt.capabilities = caps.mask;
    opt.kernel = kernel;
    opt.native_arches = {host};
    seccomp::Program theirs = seccomp::compile_json_like_runc(moby, opt);
    seccomp::Program mine = seccomp::compile_json_like_runc(ours, opt);
    auto diff =
        seccomp::first_difference(theirs, mine, names::compat_arches(host), constants(moby, ours));
    EXPECT_FALSE(diff) << "capabilities " << caps.name << ", host " << names::arch_name(host)
                       << ", kernel " << kernel.major << "." << kernel.minor << ": "
                       << (diff ? *diff : "");
  }
}

}  // namespace

TEST(DockerExport, CapabilityGatesWidenTheFilterAsDockersProfileDoes) {
  ir::Policy p = docker_default();
  for (ir::KernelVersion kernel : {ir::KernelVersion{6, 1}, ir::KernelVersion{4, 4}}) {
    json ours = seccomp::to_docker_seccomp(p.seccomp, kernel, p.capabilities.bounding);
    expect_same_filters(ours, arch("x86_64"), kernel);
    expect_same_filters(ours, arch("aarch64"), kernel);
  }
}

TEST(DockerExport, KeepsDockersGatesAndArchMap) {
  ir::Policy p = docker_default();
  json ours =
      seccomp::to_docker_seccomp(p.seccomp, ir::KernelVersion{6, 1}, p.capabilities.bounding);
  // Every host architecture of moby's archMap that libseccomp knows is there, with the same ABIs.
  const json moby = moby_profile();
  for (const json& theirs : moby["archMap"]) {
    if (!names::arch_token(theirs["architecture"].get<std::string>())) continue;
    const uint32_t host = *names::arch_token(theirs["architecture"].get<std::string>());
    json oci_ours = seccomp::docker_to_oci(ours, {host, docker_14(), {6, 1}});
    json oci_theirs = seccomp::docker_to_oci(moby, {host, docker_14(), {6, 1}});
    std::set<std::string> a, b;
    for (auto& x : oci_ours["architectures"]) a.insert(x.get<std::string>());
    for (auto& x : oci_theirs["architectures"]) b.insert(x.get<std::string>());
    // Docker lists mips64n32 hosts on their own; libseccomp's groups put them under mips64.
    if (names::arch_name(host).find("n32") != std::string::npos) continue;
    EXPECT_EQ(a, b) << theirs.dump();
  }
  // The gates themselves: CAP_SYS_ADMIN's rules are there, and absent from the OCI export.
  bool saw_sys_admin = false, saw_min_kernel = false, saw_arch = false;
  for (const json& e : ours["syscalls"]) {
    if (e.contains("includes") && e["includes"].contains("caps") &&
        e["includes"]["caps"] == json({"CAP_SYS_ADMIN"}))
      saw_sys_admin = true;
    if (e.contains("includes") && e["includes"].contains("minKernel")) saw_min_kernel = true;
    if (e.contains("includes") && e["includes"].contains("arches") &&
        e["includes"]["arches"] == json({"amd64"}))
      saw_arch = true;
  }
  EXPECT_TRUE(saw_sys_admin);
  EXPECT_TRUE(saw_min_kernel);
  EXPECT_TRUE(saw_arch);
  const json oci = seccomp::to_oci_seccomp(p.seccomp, ir::KernelVersion{6, 1});
  for (const json& e : oci["syscalls"])
    EXPECT_FALSE(e.contains("includes") || e.contains("excludes")) << e.dump();
  // `policyc compile --emit docker-seccomp` writes the rules the 14 capabilities made inactive
  // (reboot needs CAP_SYS_BOOT) with their gate.
  auto artifacts = driver::build_artifacts(p, {"docker-seccomp"}, {});
  ASSERT_EQ(artifacts.size(), 1u);
  bool saw_reboot = false;
  const json emitted = json::parse(artifacts[0].content);
  for (const json& e : emitted["syscalls"])
    if (e["names"] == json({"reboot"}) && e.contains("includes"))
      saw_reboot = saw_reboot || e["includes"].value("caps", json()) == json({"CAP_SYS_BOOT"});
  EXPECT_TRUE(saw_reboot);
}

// A rule for some ABIs of a host only cannot be said with Docker's host-named arches.
TEST(DockerExport, ARuleForPartOfAnArchGroupIsRefused) {
  ir::SeccompPolicy p;
  p.arches = names::compat_arches(arch("x86_64"));
  ir::SyscallRule r;
  r.syscall = "getpid";
  r.arches = {arch("x86")};
  p.rules.push_back(r);
  try {
    seccomp::to_docker_seccomp(p, ir::KernelVersion{6, 1});
    FAIL() << "a rule for x86 alone was written as if for its host";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("some ABIs of x86_64"), std::string::npos) << e.what();
  }
}
