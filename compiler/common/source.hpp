// Where a piece of policy text came from, so every diagnostic and every generated line can point
// back to it.
#pragma once

#include <string>

namespace policy {

struct SourceLoc {
  std::string file;  // as the user named it (or as resolved from an include)
  unsigned line = 0;    // 1-based; 0 = no location (built-in or imported)
  unsigned column = 0;  // 1-based, in bytes
  // What the command line set over the policy (`policyrun run --memory 64m`): no line, and a
  // `file` that says so, so that every place printing a rule's origin names the flag.
  static SourceLoc command_line(const std::string& flag) {
    return {"from the command line: " + flag, 0, 0};
  }
  bool from_command_line() const {
    return line == 0 && file.rfind("from the command line: ", 0) == 0;
  }
  bool known() const { return line != 0 || from_command_line(); }
  std::string str() const {
    if (line == 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  bool operator==(const SourceLoc&) const = default;
};

}  // namespace policy
