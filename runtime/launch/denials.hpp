// Explain mode (docs/runtime.md, "Explained refusals"): every refusal of the contained program
// reported once, with the layer, the call and its arguments, and the policy rule (file:line:col).
//
// Seccomp: the filter is compiled a second way (explain_variant) in which every errno action
// becomes user-notify; the supervisor decides the call on the ORIGINAL policy
// (seccomp::decide_rule), answers with that errno (what the kernel would have answered) and
// reports the rule. Kill and trap actions stay in the filter (exit_report.hpp names them).
// Landlock: the kernel gives no event, so the file calls Landlock may refuse are notified too,
// the supervisor evaluates the policy's Landlock ruleset on the call's path and access, reports a
// predicted refusal and lets the call run (the kernel decides).
#pragma once

#include <linux/filter.h>

#include <nlohmann/json_fwd.hpp>

#include <set>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "compiler/landlock/ruleset.hpp"
#include "runtime/launch/notify.hpp"

namespace policy::launch::denials {

enum class Format { Off, Text, Json };

// The system calls Landlock may refuse, by name: file creation, removal, renaming, opening,
// execution, truncation; and bind/connect (TCP ports).
const std::vector<std::string>& landlock_file_calls();
const std::vector<std::string>& landlock_port_calls();

// The calls of those two lists that Landlock restricts under `policy` (its filesystem rules and
// TCP port rules that Landlock enforces).
std::vector<std::string> landlock_calls(const ir::Policy& policy);

// The explain variant of a policy's syscall rules: every errno action (rules and default) becomes
// user-notify, and so does every call of `also_notify` the policy allows. Kill, trap and log
// actions are unchanged.
ir::SeccompPolicy explain_variant(const ir::SeccompPolicy& seccomp,
                                  const std::vector<std::string>& also_notify);

// True when `filter` can answer SECCOMP_RET_USER_NOTIF (a supervisor is needed).
bool notifies(const std::vector<sock_filter>& filter);

// The supervisor's handler: decides, answers and reports each notified call.
class Explainer : public notify::Handler {
 public:
  // `landlock_abi` > 0: evaluate the policy's Landlock ruleset at that ABI for file calls.
  // Reports go to `fd` as text lines or JSON lines.
  Explainer(const ir::Policy& policy, int landlock_abi, Format format, int fd);
  notify::Reply on_call(const notify::Call& call) override;

 private:
  notify::Reply seccomp_refusal(const notify::Call& call, int error, const ir::SyscallRule* rule);
  void landlock_check(const notify::Call& call);
  void landlock_port_check(const notify::Call& call);
  // Writes a refusal not reported yet: "denied: CALL by LAYER: BECAUSE", or a JSON line with
  // `fields` between the call and decided_by.
  void report(const std::string& key, const char* layer, const notify::Call& call,
              const std::string& because, const nlohmann::ordered_json& fields);

  const ir::Policy& policy_;
  ir::KernelVersion kernel_;  // for the rules' `when kernel >=`, as the filter was compiled
  landlock::Ruleset ruleset_;
  bool grants_resolved_ = false;
  Format format_;
  int fd_;
  std::set<std::string> seen_;  // once per distinct refusal
};

}  // namespace policy::launch::denials
