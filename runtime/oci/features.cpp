// The runtime-spec features document (features.md): what this runtime reads and applies, from
// the libraries and the host that decide it (libcap, libseccomp, the kernel's AppArmor).
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cctype>

#include "compiler/common/names.hpp"
#include "runtime/launch/apparmor.hpp"
#include "runtime/oci/config.hpp"

namespace policy::oci {

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// The filter flags <linux/seccomp.h> defines, by the spec's names.
nlohmann::json known_seccomp_flags() {
  nlohmann::json flags = nlohmann::json::array();
#define PC_FLAG(name) flags.push_back(#name);
#ifdef SECCOMP_FILTER_FLAG_TSYNC
  PC_FLAG(SECCOMP_FILTER_FLAG_TSYNC)
#endif
#ifdef SECCOMP_FILTER_FLAG_LOG
  PC_FLAG(SECCOMP_FILTER_FLAG_LOG)
#endif
#ifdef SECCOMP_FILTER_FLAG_SPEC_ALLOW
  PC_FLAG(SECCOMP_FILTER_FLAG_SPEC_ALLOW)
#endif
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  PC_FLAG(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
#endif
#undef PC_FLAG
  return flags;
}

}  // namespace

nlohmann::json features() {
  using nlohmann::json;
  json archs = json::array();
  for (const std::string& name : names::all_arch_names())
    if (seccomp_arch_resolve_name(name.c_str()) != 0) archs.push_back("SCMP_ARCH_" + upper(name));
  const scmp_version* v = seccomp_version();
  json seccomp = {
      {"enabled", true},
      // SCMP_ACT_NOTIFY needs a seccomp agent (listenerPath), which policyrun does not support.
      {"actions",
       {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
      {"operators",
       {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
        "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
      {"archs", archs},
      {"knownFlags", known_seccomp_flags()},
      // linux.seccomp.flags are reported and not applied: the launch installs its own filters.
      {"supportedFlags", json::array()},
  };
  json linux = {
      {"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
      {"capabilities", names::all_capability_names()},
      {"cgroup",
       {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}, {"rdma", false}}},
      {"seccomp", seccomp},
      {"apparmor", {{"enabled", launch::kernel_has_apparmor()}}},
      {"selinux", {{"enabled", false}}},
      {"intelRdt", {{"enabled", false}}},
      {"mountExtensions", {{"idmap", {{"enabled", false}}}}},
      {"netDevices", {{"enabled", false}}},
  };
  return {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.2.1"},
      {"hooks", json::array()},  // hooks in a config are refused (docs/oci-runtime.md)
      {"mountOptions", {"atime",       "bind",        "dev",   "exec",     "gid",    "mode",
                        "newinstance", "noatime",     "nodev", "noexec",   "nosuid", "nr_blocks",
                        "nr_inodes",   "ptmxmode",    "rbind", "relatime", "ro",     "rw",
                        "size",        "strictatime", "suid",  "uid"}},
      {"linux", linux},
      {"annotations",
       {{"io.github.seccomp.libseccomp.version", std::to_string(v->major) + "." +
                                                     std::to_string(v->minor) + "." +
                                                     std::to_string(v->micro)},
        {kPolicyAnnotation, "the host path of a .pol policy enforced on top of the config"},
        {kPolicyNameAnnotation, "which policy of that file (default: the last)"}}},
  };
}

}  // namespace policy::oci
