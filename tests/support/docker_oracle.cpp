// Docker's conversion, from moby's rules (profiles/seccomp/seccomp_linux.go, setupSeccomp), kept
// literal: the order of the checks and the exact string comparisons are Docker's.
#include "support/docker_oracle.hpp"

#include <algorithm>
#include <cstdio>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/json.hpp"

namespace policy::seccomp {

namespace {

using nlohmann::json;

bool listed(const json& list, const std::string& s) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(),
                     [&](const json& x) { return x.is_string() && x.get<std::string>() == s; });
}

// kernelGreaterEqualThan: "major.minor" against the host's.
bool kernel_at_least(const ir::KernelVersion& host, const json& v) {
  ir::KernelVersion m;
  if (std::sscanf(v.get<std::string>().c_str(), "%u.%u", &m.major, &m.minor) != 2)
    throw Error("docker oracle: invalid minKernel " + v.dump());
  return host >= m;
}

bool has_min_kernel(const json& gate) {
  return gate.contains("minKernel") && gate["minKernel"].is_string() && gate["minKernel"] != "";
}

}  // namespace

std::string docker_host_arch(uint32_t arch) {
  // goToNative: Go's GOARCH for x86_64 and aarch64 hosts is kept as is; the others are
  // libseccomp's names (moby spells mipsel64n32 "mips3l64n32").
  std::string n = names::arch_name(arch);
  if (n == "x86_64") return "amd64";
  if (n == "aarch64") return "arm64";
  if (n == "mipsel64n32") return "mips3l64n32";
  return n;
}

json docker_to_oci(const json& profile, const DockerHost& host) {
  const bool has_arches = profile.contains("architectures") && !profile["architectures"].empty();
  const bool has_map = profile.contains("archMap") && !profile["archMap"].empty();
  if (has_arches && has_map)
    throw Error("docker oracle: 'architectures' and 'archMap' were both specified");
  json out = json::object();
  out["defaultAction"] = profile.at("defaultAction");
  if (profile.contains("defaultErrnoRet")) out["defaultErrnoRet"] = profile["defaultErrnoRet"];
  json arches = json::array();
  if (has_arches) arches = profile["architectures"];
  const std::string host_scmp = scmp_arch_name(host.arch);
  if (has_map)
    for (const json& a : profile["archMap"])
      if (a.value("architecture", "") == host_scmp) {
        arches.push_back(host_scmp);
        if (a.contains("subArchitectures") && a["subArchitectures"].is_array())
          for (const json& sub : a["subArchitectures"]) arches.push_back(sub);
        break;
      }
  out["architectures"] = arches;

  const std::string arch = docker_host_arch(host.arch);
  std::vector<std::string> bounding;
  for (int c = 0; c < 64; ++c)
    if ((host.capabilities >> c) & 1) bounding.push_back(names::capability_name(c));
  auto in_bounding = [&](const json& cap) {
    return std::find(bounding.begin(), bounding.end(), cap.get<std::string>()) != bounding.end();
  };

  json syscalls = json::array();
  for (const json& call : profile.value("syscalls", json::array())) {
    if (call.contains("excludes") && call["excludes"].is_object()) {
      const json& x = call["excludes"];
      if (x.contains("arches") && listed(x["arches"], arch)) continue;
      if (x.contains("caps") && std::any_of(x["caps"].begin(), x["caps"].end(), in_bounding))
        continue;
      if (has_min_kernel(x) && kernel_at_least(host.kernel, x["minKernel"])) continue;
    }
    if (call.contains("includes") && call["includes"].is_object()) {
      const json& in = call["includes"];
      if (in.contains("arches") && !in["arches"].empty() && !listed(in["arches"], arch)) continue;
      if (in.contains("caps") && !std::all_of(in["caps"].begin(), in["caps"].end(), in_bounding))
        continue;
      if (has_min_kernel(in) && !kernel_at_least(host.kernel, in["minKernel"])) continue;
    }
    const bool has_name = call.contains("name") && call["name"].is_string() && call["name"] != "";
    if (has_name && call.contains("names") && !call["names"].empty())
      throw Error("docker oracle: 'name' and 'names' were both specified");
    json entry = json::object();
    entry["names"] = has_name ? json::array({call["name"]}) : call.value("names", json::array());
    entry["action"] = call.at("action");
    if (call.contains("errnoRet")) entry["errnoRet"] = call["errnoRet"];
    if (call.contains("args") && !call["args"].is_null()) entry["args"] = call["args"];
    syscalls.push_back(entry);
  }
  out["syscalls"] = syscalls;
  return out;
}

}  // namespace policy::seccomp
