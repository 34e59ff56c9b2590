// The variables a path pattern may use (@{PROC}, @{sys}), as AppArmor's own tunables define them:
// the policy language borrows AppArmor's pattern syntax, and every backend that reads a pattern
// (AppArmor writes them, Landlock expands them) gives them this one meaning.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace policy::ir {

// name -> value, as /etc/apparmor.d/tunables/{proc,kernelvars} define them (with trailing '/').
const std::vector<std::pair<std::string, std::string>>& known_variables();
std::optional<std::string> variable_value(const std::string& name);

// The names of the @{...} variables used in `pattern`, in order of appearance.
std::vector<std::string> variables_in(const std::string& pattern);

// Replaces every known variable by its value and collapses the "//" this leaves
// (@{PROC}/sys -> /proc/sys). Unknown variables are left as written.
std::string expand_variables(const std::string& pattern);

}  // namespace policy::ir
