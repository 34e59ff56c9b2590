// The AppArmor variables a path pattern may use (@{PROC}, @{sys}), as AppArmor's own tunables
// define them. Header-only: the Landlock backend expands them too.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace policy::apparmor {

// name -> value, as /etc/apparmor.d/tunables/{proc,kernelvars} define them (with trailing '/').
inline const std::vector<std::pair<std::string, std::string>>& known_variables() {
  static const std::vector<std::pair<std::string, std::string>> kVars = {{"PROC", "/proc/"},
                                                                         {"sys", "/sys/"}};
  return kVars;
}

inline std::optional<std::string> variable_value(const std::string& name) {
  for (auto& [n, v] : known_variables())
    if (n == name) return v;
  return std::nullopt;
}

// The names of the @{...} variables used in `pattern`, in order of appearance.
inline std::vector<std::string> variables_in(const std::string& pattern) {
  std::vector<std::string> out;
  for (size_t i = pattern.find("@{"); i != std::string::npos; i = pattern.find("@{", i + 2)) {
    size_t end = pattern.find('}', i);
    if (end == std::string::npos) break;
    out.push_back(pattern.substr(i + 2, end - i - 2));
  }
  return out;
}

// Replaces every known variable by its value and collapses the "//" this leaves
// (@{PROC}/sys -> /proc/sys). Unknown variables are left as written.
inline std::string expand_variables(const std::string& pattern) {
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    if (pattern.compare(i, 2, "@{") == 0) {
      size_t end = pattern.find('}', i);
      if (end != std::string::npos) {
        auto v = variable_value(pattern.substr(i + 2, end - i - 2));
        if (v) {
          out += *v;
          i = end + 1;
          continue;
        }
      }
    }
    out += pattern[i++];
  }
  std::string collapsed;
  for (char c : out)
    if (!(c == '/' && !collapsed.empty() && collapsed.back() == '/')) collapsed += c;
  return collapsed;
}

}  // namespace policy::apparmor
