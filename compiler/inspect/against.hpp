// `policyc inspect PID --against FILE.pol`: the live process compared with what a policy says it
// should be confined by (docs/inspect.md "Drift"). Every difference names the policy's rule.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/common/source.hpp"
#include "compiler/inspect/process.hpp"
#include "compiler/ir/policy.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::inspect {

struct Drift {
  std::string
      layer;  // seccomp, capabilities, no_new_privileges, namespaces, resources, user, apparmor
  std::string message;  // what the policy says and what the process has
  SourceLoc loc;        // the rule or section of the policy (unknown: the policy as a whole)
  std::string where;    // used when loc is unknown: "policy web (web.pol)"
  std::string location() const { return loc.known() ? loc.str() : where; }
};

// Compares the process with the policy and its compiled filter `compiled`:
// - seccomp: the live filters' combined verdict (seccomp::combined) against `compiled`, over the
//   policy's arches, with seccomp::first_difference (the rule deciding the first differing call);
// - the five capability sets; no_new_privileges; each namespace the policy creates (the process
//   must not share the host's); memory and pids limits; the user (uid/gid inside); the AppArmor
//   label when the policy has a profile and the kernel shows labels.
// Throws policy::Error when the filters could not be fetched (nothing can be said about seccomp).
// When the live filter answers calls with SECCOMP_RET_USER_NOTIF (policyrun's explain mode, the
// default: a supervisor replies with the policy's errno and names the rule), the policy's errno
// refusals other than ENOSYS are compared as user-notify, and a note says so.
struct Comparison {
  std::vector<Drift> drift;
  std::vector<std::string> notes;
};
Comparison compare(const ProcessFacts& facts, const ir::Policy& policy,
                   const seccomp::Program& compiled, const std::string& policy_file);

// `prog` with every errno return but errno(ENOSYS) turned into user-notify: the filter policyrun
// installs in explain mode (runtime/launch/denials.hpp explain_variant), for the default options.
seccomp::Program notifying_variant(const seccomp::Program& prog);

std::string render_drift_text(const Comparison& result, const std::string& subject,
                              const std::string& policy_file);
nlohmann::json drift_json(const Comparison& result);

}  // namespace policy::inspect
