// Learn mode's writer: observations -> a reviewable policy that extends the base
// (docs/learn.md, "The learned policy"), and the machine-readable record at its end that the
// next learn run merges into.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/learn/groups.hpp"
#include "runtime/learn/observations.hpp"

namespace policy::learn {

struct WriterInput {
  const Observations* seen = nullptr;
  const ir::Policy* base = nullptr;  // the base policy, resolved for this host
  std::string base_file;             // its .pol file
  std::string out_file;              // where the learned policy goes (includes are relative to it)
  const SyscallGroups* groups = nullptr;  // may be null: syscalls are then listed by name
};

// The learned policy, `policy NAME extends BASE { ... }`, its rules commented with what was seen,
// followed by learn_data_block(*seen). Same input, same text.
std::string write_learned_policy(const WriterInput& in);

// The policy name for `out_file`: its stem as an identifier ("web.learned.pol" -> "web.learned"),
// with "-learned" added when that is the base's own name.
std::string learned_policy_name(const std::string& out_file, const std::string& base_name);

// "# learn-data: " lines holding the observations as JSON.
std::string learn_data_block(const Observations& seen);
// The observations of a learned policy's text; nullopt when it has no learn-data lines. Throws
// policy::Error naming `where` when they are damaged.
std::optional<Observations> read_learn_data(const std::string& text, const std::string& where);

}  // namespace policy::learn
