// AppArmor at run time: load the policy's profile (parent, apparmor_parser -Kr) and make the
// command's execve enter it (child, aa_change_onexec right before no_new_privs). On a kernel
// without AppArmor, say which of its rules Landlock enforces instead and which nothing enforces.
#pragma once

#include <ostream>
#include <string>

#include "compiler/ir/policy.hpp"
#include "runtime/launch/landlock.hpp"

namespace policy::launch {

// Off: no profile. Auto: load and apply it when the kernel has AppArmor, otherwise say on `log`
// what is not enforced (policyrun shows that report only with --verbose). Require: fail
// (policy::Error) when it cannot be applied.
enum class AppArmorMode { Off, Auto, Require };

// True when the running kernel has AppArmor enabled and its interface is reachable (libapparmor's
// aa_is_enabled).
bool kernel_has_apparmor();
// Why it is not usable, e.g. "the kernel has no AppArmor (ENOSYS)"; empty when it is.
std::string apparmor_unavailable_reason();

// Parent side, before clone: with AppArmor, generates the profile and loads it (apparmor_parser
// -Kr; throws policy::Error when that fails). Without it: Require throws; Auto writes the report
// of apparmor_fallback_report() to `log`. `landlock` is how Landlock will be applied in the child.
void prepare_apparmor(const ir::Policy& policy, AppArmorMode mode, std::ostream& log,
                      LandlockMode landlock = LandlockMode::BestEffort);

// Child side, right before no_new_privs: the next execve enters the profile (aa_change_onexec; or
// aa_stack_onexec when no_new_privs is already set under another profile), so that
// /proc/self/attr/current reads "NAME (enforce)" in the command. No-op when Off, or Auto without
// AppArmor. Throws policy::Error on failure.
void apply_apparmor_exec_label(const ir::Policy& policy, AppArmorMode mode);

// The message for a kernel without AppArmor: which of the policy's AppArmor rules Landlock at ABI
// `landlock_abi` enforces instead (fully or partially, with why) and which are not enforced at
// all. `landlock_abi` 0 means Landlock is off or missing.
std::string apparmor_fallback_report(const ir::Policy& policy, int landlock_abi);

}  // namespace policy::launch
