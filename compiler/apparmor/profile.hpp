// AppArmor backend: the Policy IR's filesystem, network, mount, signal and ptrace rules as a
// readable AppArmor profile (docs/apparmor.md). A pure function from IR to text; apparmor_parser
// (compiler/apparmor/parser_tool.hpp) is the judge of the result.
#pragma once

#include <string>

#include "compiler/ir/policy.hpp"

namespace policy::apparmor {

struct ProfileOptions {
  bool pin_abi = true;   // `abi <abi/3.0>,`: the feature set the profile was written for
  bool comments = true;  // a comment after each rule naming the policy line it comes from
};

// The profile (and exec label) name of a policy: the policy's name.
std::string profile_name(const ir::Policy& policy);

// Writes the profile: header, variables, then `profile NAME flags=(...) { ... }` with deny rules
// first. Throws policy::Error when a rule cannot be written (an unknown @{VARIABLE}, a name
// AppArmor cannot hold).
std::string generate_profile(const ir::Policy& policy, const ProfileOptions& options = {});

}  // namespace policy::apparmor
