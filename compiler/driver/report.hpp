// The enforceability report (`policyc compile --report`): every rule of a policy, and which layer
// enforces it — seccomp, AppArmor, Landlock, capabilities, the runtime — or none, with the reason
// for every partial or missing case. Nothing is silently dropped: a rule no layer takes says so.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/driver/driver.hpp"
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
  // An allow-type rule (allow paths, socket families, ports, signal/ptrace peers): it grants, so
  // it is never "not enforced"; what it does not grant is judged elsewhere ("other socket
  // families refused").
  bool grant = false;
  // The best any layer does for this rule on the target: enforced when one layer enforces it
  // fully, partially when some layer does part of it, not enforced otherwise.
  Enforcement overall() const;
  // "granted" for a grant, else enforcement_name(overall()).
  std::string status() const;
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

// `seccomp` says how the filter is compiled: the report runs THAT filter on probe calls (a `deny
// alg` is enforced by seccomp when the filter refuses socket(AF_ALG, ...) on every target arch).
Report enforceability_report(const ir::Policy& policy, const ReportTarget& target = host_target(),
                             const SeccompOptions& seccomp = {});
std::string report_text(const Report& report);
nlohmann::json report_json(const Report& report);

}  // namespace policy::driver
