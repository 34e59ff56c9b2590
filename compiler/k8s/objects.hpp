// Kubernetes objects from the Policy IR (docs/kubernetes.md): the Security Profiles Operator's
// SeccompProfile and AppArmorProfile custom resources, a Pod whose container carries the policy's
// securityContext and resources, and where the kubelet's seccomp file goes. Pure functions of the
// IR, like every backend. What Kubernetes cannot express is never dropped silently: each object
// comes with its notes, one per construct left out or changed, naming the policy line.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"

namespace policy::k8s {

struct Object {
  nlohmann::ordered_json object;
  std::vector<std::string> notes;  // "not expressed: ..." lines, written as YAML comments
};

// The object name for a policy: a DNS-1123 subdomain (lower case, digits, '-', '.'), as
// metadata.name must be; a note says so when it differs from the policy's name. Throws
// policy::Error when nothing of the name is left.
std::string object_name(const ir::Policy& policy, std::vector<std::string>* notes = nullptr);

// Where the Pod's seccompProfile points, relative to the kubelet's seccomp directory
// (<kubelet root>/seccomp, /var/lib/kubelet/seccomp by default): "policyrun/NAME.json".
std::string kubelet_seccomp_path(const ir::Policy& policy);

// SeccompProfile (security-profiles-operator.x-k8s.io/v1): its spec is the OCI export's
// (seccomp::to_oci_seccomp) for the same target kernel. The CRD has no defaultErrnoRet: a default
// errno other than EPERM (what runc uses without one) is a note. Throws policy::Error when an
// argument value does not fit the CRD's int64, or when the OCI export refuses the policy.
Object spo_seccomp_profile(const ir::Policy& policy,
                           const std::optional<ir::KernelVersion>& kernel = std::nullopt);

// AppArmorProfile (security-profiles-operator.x-k8s.io/v1): the CRD takes the abstract form only
// (allowed executables, libraries, read-only/write-only/read-write paths, tcp/udp/raw, allowed
// capabilities), which SPO turns into a profile of its own; deny rules, other socket families,
// mount, signal and ptrace rules are notes.
Object spo_apparmor_profile(const ir::Policy& policy);

// A Pod (v1) with one container, named after the policy, whose image is a placeholder to replace:
// its securityContext (capabilities drop ALL + add the bounding set, seccompProfile Localhost at
// kubelet_seccomp_path, appArmorProfile Localhost and the older annotation, runAsUser/Group/
// NonRoot, readOnlyRootFilesystem, allowPrivilegeEscalation), resources, host namespaces,
// sysctls, env, workingDir, hostname and the policy's tmpfs mounts as memory emptyDir volumes.
Object pod(const ir::Policy& policy);

// The object as YAML with its header and notes as comments; `usage` lines say how to apply it.
std::string render(const Object& object, const ir::Policy& policy,
                   const std::vector<std::string>& usage, const std::string& what);

}  // namespace policy::k8s
