#include "compiler/apparmor/coverage.hpp"

#include "compiler/ir/describe.hpp"
#include "compiler/ir/path_variables.hpp"

namespace policy::apparmor {

std::vector<RuleCoverage> apparmor_coverage(const ir::Policy& p) {
  std::vector<RuleCoverage> out;
  auto add = [&](const SourceLoc& loc, std::string rule, Enforcement e, std::string why = {}) {
    out.push_back({loc, std::move(rule), "apparmor", e, std::move(why)});
  };
  const auto& fs = p.filesystem;
  if (fs.allow_all_files) add(fs.allow_all_loc, "allow all", Enforcement::Enforced);
  for (auto& r : fs.rules) {
    std::string unknown;
    for (auto& v : ir::variables_in(r.pattern))
      if (!ir::variable_value(v)) unknown = v;
    if (!unknown.empty()) {
      add(r.loc, describe(r), Enforcement::NotEnforced,
          "unknown variable @{" + unknown + "}: the profile cannot be written");
    } else if (!r.deny && (r.access & ir::kExec) &&
               r.exec_mode.find_first_of("pcPC") != std::string::npos) {
      add(r.loc, describe(r), Enforcement::Partial,
          "exec mode '" + r.exec_mode +
              "' moves the program into another profile, which must be loaded separately "
              "(policyrun loads only this policy's)");
    } else {
      add(r.loc, describe(r), Enforcement::Enforced);
    }
  }
  for (auto& m : fs.mount_rules) add(m.loc, describe(m), Enforcement::Enforced);
  for (auto& s : fs.signal_rules) add(s.loc, describe(s), Enforcement::Enforced);
  for (auto& t : fs.ptrace_rules) add(t.loc, describe(t), Enforcement::Enforced);
  const auto& net = p.network;
  for (auto& s : net.sockets) add(s.loc, describe(s), Enforcement::Enforced);
  for (auto& r : net.ports)
    add(r.loc, describe(r), Enforcement::NotEnforced,
        "AppArmor (abi 3.0) mediates socket families and types, not port numbers");
  if (net.scope_abstract_unix)
    add({}, "scope abstract-unix", Enforcement::NotEnforced,
        "not expressed in the profile (abi 3.0 has no unix rules); Landlock ABI 6 scopes it");
  if (net.scope_signals)
    add({}, "scope signals", Enforcement::NotEnforced,
        "AppArmor restricts signals only through signal rules with a peer; Landlock ABI 6 "
        "scopes it");
  return out;
}

}  // namespace policy::apparmor
