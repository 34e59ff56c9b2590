#include "compiler/ir/path_variables.hpp"

namespace policy::ir {

const std::vector<std::pair<std::string, std::string>>& known_variables() {
  static const std::vector<std::pair<std::string, std::string>> kVars = {{"PROC", "/proc/"},
                                                                         {"sys", "/sys/"}};
  return kVars;
}

std::optional<std::string> variable_value(const std::string& name) {
  for (auto& [n, v] : known_variables())
    if (n == name) return v;
  return std::nullopt;
}

std::vector<std::string> variables_in(const std::string& pattern) {
  std::vector<std::string> out;
  for (size_t i = pattern.find("@{"); i != std::string::npos; i = pattern.find("@{", i + 2)) {
    size_t end = pattern.find('}', i);
    if (end == std::string::npos) break;
    out.push_back(pattern.substr(i + 2, end - i - 2));
  }
  return out;
}

std::string expand_variables(const std::string& pattern) {
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

}  // namespace policy::ir
