#include "compiler/k8s/yaml.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "compiler/common/json_text.hpp"

namespace policy::k8s {

namespace {

using nlohmann::ordered_json;

// A key YAML reads back as the same string when written bare: a letter first, then letters,
// digits and . _ / -, and none of YAML 1.1's bool or null words.
bool plain_key(const std::string& k) {
  if (k.empty() || !std::isalpha(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '/' &&
        c != '-')
      return false;
  std::string lower = k;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : {"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
    if (lower == w) return false;
  return true;
}

std::string key_text(const std::string& k) {
  return plain_key(k) ? k : ordered_json(k).dump();
}

bool inline_value(const ordered_json& v) {
  return !v.is_structured() || v.empty();
}

std::string scalar_text(const ordered_json& v) {
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return v.dump();  // strings in JSON's double-quoted form, numbers, true/false, null
}

void write_value(std::ostringstream& out, const ordered_json& v, size_t indent);

// The entries of a non-empty object; the first at the current column (after "- " or a newline
// that already indented), the others at `indent`.
void write_object(std::ostringstream& out, const ordered_json& v, size_t indent,
                  bool first_placed) {
  bool first = true;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!(first && first_placed)) out << std::string(indent, ' ');
    first = false;
    out << key_text(it.key()) << ":";
    if (inline_value(it.value())) {
      out << " " << scalar_text(it.value()) << "\n";
    } else if (it.value().is_array()) {
      out << "\n";
      write_value(out, it.value(), indent);  // kubectl's style: "- " under the key's column
    } else {
      out << "\n";
      write_value(out, it.value(), indent + 2);
    }
  }
}

void write_value(std::ostringstream& out, const ordered_json& v, size_t indent) {
  if (v.is_object()) return write_object(out, v, indent, false);
  for (const ordered_json& item : v) {
    out << std::string(indent, ' ') << "-";
    if (inline_value(item)) {
      out << " " << scalar_text(item) << "\n";
    } else if (item.is_object()) {
      out << " ";
      write_object(out, item, indent + 2, true);
    } else {
      out << "\n";
      write_value(out, item, indent + 2);
    }
  }
}

}  // namespace

std::string to_yaml(const nlohmann::ordered_json& object, const std::vector<std::string>& comments,
                    const std::string& what) {
  (void)json_text(object, what);  // a string JSON cannot hold is json_text's error, named
  std::ostringstream out;
  for (const std::string& c : comments) {
    std::istringstream lines(c);
    for (std::string line; std::getline(lines, line);)
      out << (line.empty() ? "#" : "# " + line) << "\n";
  }
  if (inline_value(object))
    out << scalar_text(object) << "\n";
  else
    write_value(out, object, 0);
  return out.str();
}

}  // namespace policy::k8s
