// The enforceability report (`policyc compile --report`): every rule of a policy, and which layer
// enforces it — seccomp, AppArmor, Landlock, capabilities, the runtime — or none, with the reason
// for every partial or missing case. Nothing is silently dropped: a rule no layer takes says so.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "compiler/ir/rule_coverage.hpp"

namespace policy::driver {

struct LayerVerdict {
  std::string layer;  // seccomp, apparmor, landlock, capabilities, runtime
  Enforcement status = Enforcement::Enforced;
  std::string reason;
};

struct ReportEntry {
  std::string section;  // syscalls, capabilities, filesystem, network, namespaces, ...
  std::string rule;     // in policy-language words
  SourceLoc loc;
  std::vector<LayerVerdict> layers;
  // The best any layer does for this rule on the target: enforced when one layer enforces it
  // fully, partially when some layer does part of it, not enforced otherwise.
  Enforcement overall() const;
};

struct ReportTarget {
  bool apparmor = false;  // the target kernel has AppArmor (so the profile is loaded)
  int landlock_abi = 0;   // the target kernel's Landlock ABI (0: none)
};

// The running host, as policyrun would find it.
ReportTarget host_target();

struct Report {
  std::string policy;
  ReportTarget target;
  std::vector<ReportEntry> entries;
};

Report enforceability_report(const ir::Policy& policy, const ReportTarget& target = host_target());
std::string report_text(const Report& report);
nlohmann::json report_json(const Report& report);

}  // namespace policy::driver
