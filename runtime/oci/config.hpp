// An OCI bundle (runtime-spec config.json + root filesystem) turned into the launch engine's
// input: the config's confinement as an ir::Policy and its seccomp filter compiled by the
// project's compiler, with the policy of the `org.policyrun.policy` annotation enforced on top
// (docs/oci-runtime.md). The OCI runtime commands (runtime/oci/lifecycle*.cpp) launch it.
#pragma once

#include <linux/filter.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/ir/policy.hpp"

namespace policy::oci {

// The annotations that attach a policy to a container.
inline constexpr const char* kPolicyAnnotation = "org.policyrun.policy";           // a .pol path
inline constexpr const char* kPolicyNameAnnotation = "org.policyrun.policy-name";  // which one

// config.json's `process` object: what `create` starts and what `exec --process` adds.
struct ProcessConfig {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "K=V"
  std::string cwd = "/";
  std::string user;  // "UID:GID" for the launch (ids resolved, never names)
  std::vector<uint32_t> additional_gids;
  bool terminal = false;
  // The process's own confinement fields (capabilities, rlimits, noNewPrivileges,
  // apparmorProfile), applied to `policy` by load_bundle/load_process.
};

struct ContainerConfig {
  std::string bundle;  // absolute bundle directory
  std::string rootfs;  // absolute host path of the root filesystem (root.path)
  bool rootfs_readonly = false;
  ProcessConfig process;
  // The config's confinement (and the annotation policy's on top): namespaces (join_path for
  // `path`), id maps, capabilities, rlimits, no_new_privileges, resources, devices, mounts,
  // masked and read-only paths, sysctls, hostname, AppArmor profile.
  std::unique_ptr<ir::Policy> policy;
  // The seccomp programs to install, oldest first (the config's linux.seccomp, then the
  // annotation policy's): each compiled for this host. Empty: no seccomp layer.
  std::vector<std::vector<sock_filter>> filters;
  std::map<std::string, std::string> annotations;
  // process.apparmorProfile: a profile already loaded on the host. Empty when the config names
  // none, or when the host has no AppArmor (then the report says it is not applied).
  std::string apparmor_profile;
  // The policy of the `org.policyrun.policy` annotation as compiled (null: none), so that
  // load_process narrows an exec'd process as it narrowed the container's.
  std::unique_ptr<ir::Policy> annotation_policy;
  // One line per decision, for `policyrun state`/the log: what came from the config, what the
  // annotation policy added or narrowed ("from the policy web.pol:12:3"), what is not applied.
  std::vector<std::string> report;
};

// Reads <bundle_dir>/config.json. Throws policy::Error naming the file and the JSON path of the
// first problem, or the policy's diagnostics when the annotation policy does not compile.
ContainerConfig load_bundle(const std::string& bundle_dir);

// `exec --process FILE`: a process object (the config's `process` shape) for a container whose
// config is `container`; the returned policy is the container's with the process's own
// capabilities, rlimits, no_new_privileges and AppArmor profile. Throws like load_bundle.
struct ExecConfig {
  ProcessConfig process;
  std::unique_ptr<ir::Policy> policy;
};
ExecConfig load_process(const nlohmann::json& process, const std::string& file_name,
                        const ContainerConfig& container);

// The runtime-spec features document (`policyrun features`, features.md).
nlohmann::json features();

}  // namespace policy::oci
