// The project's named syscall groups (policies/groups/*.pol), read with the policy front end,
// for learn mode's writer: a group the program used whole is written as `allow @group`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace policy::learn {

struct SyscallGroups {
  std::string dir;      // where they were read
  std::string include;  // the file a policy includes to have them all (dir/all.pol)
  std::map<std::string, std::vector<std::string>> members;  // name (no '@') -> syscalls, nested
                                                            // groups expanded, sorted, unique
};

// The groups directory for a base policy: `groups/` next to it, else in each include directory
// (in order). nullopt when none has one.
std::optional<std::string> find_groups_dir(const std::string& base_policy_file,
                                           const std::vector<std::string>& include_dirs);

// Reads every *.pol of `dir` with the front end; throws policy::Error with the rendered
// diagnostics when one does not parse or a group does not resolve.
SyscallGroups load_groups(const std::string& dir);

}  // namespace policy::learn
