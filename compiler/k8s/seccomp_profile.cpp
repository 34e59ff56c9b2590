// The Security Profiles Operator's SeccompProfile from the policy's seccomp layer.
#include <cerrno>
#include <cstdint>
#include <limits>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/k8s/notes.hpp"
#include "compiler/k8s/objects.hpp"
#include "compiler/seccomp/json.hpp"

namespace policy::k8s {

Object spo_seccomp_profile(const ir::Policy& policy,
                           const std::optional<ir::KernelVersion>& kernel) {
  Object out;
  const std::string name = object_name(policy, &out.notes);
  nlohmann::ordered_json spec = seccomp::to_oci_seccomp(policy.seccomp, kernel);
  // The CRD has no defaultErrnoRet; the runtime then returns EPERM, as runc does without one.
  if (spec.contains("defaultErrnoRet")) {
    const auto ret = spec["defaultErrnoRet"].get<uint32_t>();
    if (ret != EPERM)
      note(out.notes,
           "the default action's errno " +
               names::errno_name(static_cast<int>(ret)).value_or(std::to_string(ret)),
           policy.loc,
           "SeccompProfile has no defaultErrnoRet, so refused calls fail with EPERM; "
           "kubelet-seccomp keeps it");
    spec.erase("defaultErrnoRet");
  }
  // args[].value and valueTwo are int64 in the CRD.
  for (const auto& entry : spec["syscalls"])
    if (entry.contains("args"))
      for (const auto& a : entry["args"])
        for (const char* k : {"value", "valueTwo"})
          if (a.contains(k) && a[k].get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
            throw Error("spo-seccomp: the rule for " + entry["names"].dump() + " compares with " +
                        std::to_string(a[k].get<uint64_t>()) + ", which SeccompProfile's int64 " +
                        k +
                        " cannot hold; use kubelet-seccomp (the file the kubelet reads) instead");
  out.object = {{"apiVersion", "security-profiles-operator.x-k8s.io/v1"},
                {"kind", "SeccompProfile"},
                {"metadata", {{"name", name}}},
                {"spec", spec}};
  return out;
}

}  // namespace policy::k8s
