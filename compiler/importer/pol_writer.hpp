// Writes a Policy IR back as readable policy text (the output of `policyc import`): rules grouped
// by action and gate, long name lists wrapped, conditions with argument names and header
// constants where they read better than numbers.
#pragma once

#include <string>

#include "compiler/ir/policy.hpp"

namespace policy::importer {

struct WriterOptions {
  std::string header_comment;  // printed first, each line prefixed with "# "
  unsigned width = 100;        // wrap name lists at this column
  std::string include;         // written as `include "FILE"` before the policy, when set
  std::string base;            // written as `extends BASE`, when set
};

std::string write_policy(const ir::Policy& policy, const WriterOptions& options = {});

// Pieces, also used by `policyc explain` and reports (actions are written with
// seccomp::describe, in the policy language's words).
std::string condition_text(const std::string& syscall, const ir::Condition& c);
// " when capability X and arch a, b and kernel >= 4.8" for a rule's gates ("" when none).
std::string gate_text(const ir::SyscallRule& r);

}  // namespace policy::importer
