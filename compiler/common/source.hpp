// Where a piece of policy text came from, so every diagnostic and every generated line can point
// back to it.
#pragma once

#include <string>

namespace policy {

struct SourceLoc {
  std::string file;  // as the user named it (or as resolved from an include)
  unsigned line = 0;    // 1-based; 0 = no location (built-in or imported)
  unsigned column = 0;  // 1-based, in bytes
  bool known() const { return line != 0; }
  std::string str() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
  bool operator==(const SourceLoc&) const = default;
};

}  // namespace policy
