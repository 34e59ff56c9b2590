// `policyc explain`: what the compiled filter does with one call, and which policy rules that
// verdict comes from. The CLI parses the call and prints the explanation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/driver/driver.hpp"
#include "compiler/ir/policy.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::driver {

struct CallExplanation {
  uint32_t arch = 0;        // the ABI the call comes from
  std::optional<int> nr;    // nullopt: the syscall does not exist on `arch`
  seccomp::RunResult run;   // the compiled filter's verdict on the call
  size_t instructions = 0;  // the compiled filter's length
  // The active rules for the syscall whose action is the verdict, in policy order.
  std::vector<const ir::SyscallRule*> rules;
  bool default_applies = false;  // no such rule, and the default action is the verdict
  // The syscall's rules made inactive by a capability or kernel gate.
  std::vector<const ir::SyscallRule*> inactive_rules;
  // The policy's `-SYSCALL` that took the bases' rules for it away (docs/language.md).
  const ir::Removal* removal = nullptr;
};

// Compiles `policy`'s filter for its whole target (as it would be installed) and runs it on
// `syscall(args...)` coming from `arch` (default: the policy's first target arch, else the
// host's). The explanation points into `policy`.
CallExplanation explain_call(const ir::Policy& policy, const SeccompOptions& options,
                             const std::string& syscall, std::optional<uint32_t> arch,
                             const std::vector<uint64_t>& args);

}  // namespace policy::driver
