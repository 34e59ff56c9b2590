#include "runtime/launch/apparmor.hpp"

#include <sys/apparmor.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include "compiler/apparmor/coverage.hpp"
#include "compiler/apparmor/parser_tool.hpp"
#include "compiler/apparmor/profile.hpp"
#include "compiler/common/error.hpp"
#include "compiler/landlock/ruleset.hpp"

namespace policy::launch {
namespace {

std::string key(const RuleCoverage& c) {
  return c.loc.str() + "|" + c.rule;
}

std::string where(const SourceLoc& loc) {
  return loc.known() ? loc.str() + ": " : "";
}

}  // namespace

bool kernel_has_apparmor() {
  return aa_is_enabled() == 1;
}

std::string apparmor_unavailable_reason() {
  if (aa_is_enabled() == 1) return "";
  int e = errno;
  switch (e) {
    case ENOSYS:
      return "the kernel has no AppArmor (ENOSYS)";
    case ECANCELED:
      return "AppArmor is built into the kernel but disabled at boot (ECANCELED)";
    case ENOENT:
      return "AppArmor's interface is missing: securityfs is not mounted at /sys/kernel/security "
             "(ENOENT)";
    case EBUSY:
      return "AppArmor is enabled but its interface is not available in this namespace (EBUSY)";
    case EPERM:
    case EACCES:
      return std::string("AppArmor's interface cannot be read (") + strerrorname_np(e) + ")";
    default:
      return std::string("AppArmor is not usable (") + std::strerror(e) + ")";
  }
}

std::string apparmor_fallback_report(const ir::Policy& policy, int landlock_abi) {
  auto aa = apparmor::apparmor_coverage(policy);
  std::map<std::string, RuleCoverage> ll;
  if (landlock_abi > 0)
    for (auto& c : landlock::landlock_coverage(policy, landlock_abi)) ll.emplace(key(c), c);
  std::ostringstream instead, lost;
  for (auto& a : aa) {
    if (a.status == Enforcement::NotEnforced) continue;  // AppArmor would not enforce it either
    auto it = ll.find(key(a));
    if (it != ll.end() && it->second.status == Enforcement::Enforced) {
      instead << "  " << where(a.loc) << a.rule << "\n";
    } else if (it != ll.end() && it->second.status == Enforcement::Partial) {
      instead << "  " << where(a.loc) << a.rule << " (partially: " << it->second.reason << ")\n";
    } else {
      lost << "  " << where(a.loc) << a.rule;
      if (it != ll.end() && !it->second.reason.empty()) lost << " (" << it->second.reason << ")";
      lost << "\n";
    }
  }
  std::ostringstream os;
  if (landlock_abi > 0) {
    os << "policyrun: Landlock (ABI " << landlock_abi << ") enforces instead:\n";
    os << (instead.str().empty() ? "  (none of these rules)\n" : instead.str());
  } else {
    os << "policyrun: Landlock is off or missing, so it enforces none of them\n";
  }
  os << "policyrun: not enforced at all on this host:\n";
  os << (lost.str().empty() ? "  (none)\n" : lost.str());
  return os.str();
}

void prepare_apparmor(const ir::Policy& policy, AppArmorMode mode, std::ostream& log,
                      LandlockMode landlock) {
  if (mode == AppArmorMode::Off) return;
  std::string name = apparmor::profile_name(policy);
  if (!kernel_has_apparmor()) {
    std::string why = apparmor_unavailable_reason();
    if (mode == AppArmorMode::Require)
      throw Error("--apparmor=require: AppArmor profile '" + name + "' cannot be applied: " + why +
                  ". Boot a kernel with AppArmor enabled (lsm=...,apparmor) and securityfs "
                  "mounted, or run with --apparmor=auto to go on with Landlock for what it can "
                  "enforce");
    log << "policyrun: warning: " << why << ": AppArmor profile '" << name
        << "' is not loaded, and its rules are not enforced by AppArmor\n";
    int abi = landlock == LandlockMode::Off ? 0 : landlock_abi();
    log << apparmor_fallback_report(policy, abi);
    return;
  }
  apparmor::load_profile(apparmor::generate_profile(policy));
}

void apply_apparmor_exec_label(const ir::Policy& policy, AppArmorMode mode) {
  if (mode == AppArmorMode::Off) return;
  if (!kernel_has_apparmor()) {
    if (mode == AppArmorMode::Auto) return;
    throw Error("--apparmor=require: cannot set the exec label: " + apparmor_unavailable_reason());
  }
  std::string name = apparmor::profile_name(policy);
  // Under no_new_privs a confined task may only stack a profile, not change to another one.
  bool stack = false;
  if (::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1) {
    char* label = nullptr;
    char* cmode = nullptr;
    if (aa_getcon(&label, &cmode) >= 0) {
      stack = std::strcmp(label, "unconfined") != 0;
      std::free(label);  // mode points into label's buffer
    }
  }
  int rc = stack ? aa_stack_onexec(name.c_str()) : aa_change_onexec(name.c_str());
  if (rc != 0)
    throw sys_error(std::string(stack ? "aa_stack_onexec" : "aa_change_onexec") +
                        " (is the profile loaded? policyrun loads it with apparmor_parser -Kr)",
                    name);
}

}  // namespace policy::launch
