// Named constants, evaluated by the compiler from the system headers (cmake/constants.cmake
// lists the names; this file's includes give the values).
#include "cmake/constants_headers.h"

#include <algorithm>
#include <map>
#include <string>

#include "compiler/common/names.hpp"

namespace policy::names {

namespace {

struct Entry {
  const char* name;
  unsigned long long value;
  bool is_errno;
};

#define POLICY_CONSTANT(n) {#n, static_cast<unsigned long long>(n), false},
#define POLICY_ERRNO(n) {#n, static_cast<unsigned long long>(n), true},
const Entry kConstants[] = {
#include "constants_table.inc"
};
#undef POLICY_CONSTANT
#undef POLICY_ERRNO

const std::map<std::string, uint64_t, std::less<>>& table() {
  static const std::map<std::string, uint64_t, std::less<>> t = [] {
    std::map<std::string, uint64_t, std::less<>> m;
    for (const Entry& e : kConstants) m.emplace(e.name, e.value);
    return m;
  }();
  return t;
}

// errno names are the macros of <errno.h> alone (cmake/constants.cmake marks them).
bool is_errno_name(std::string_view n) {
  static const std::map<std::string, bool, std::less<>> errnos = [] {
    std::map<std::string, bool, std::less<>> m;
    for (const Entry& e : kConstants)
      if (e.is_errno) m.emplace(e.name, true);
    return m;
  }();
  return errnos.count(n) > 0;
}

}  // namespace

std::optional<uint64_t> constant_value(std::string_view name) {
  auto it = table().find(name);
  if (it == table().end()) return std::nullopt;
  return it->second;
}

const std::vector<std::string>& all_constant_names() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for (auto& [n, _] : table()) out.push_back(n);
    return out;
  }();
  return v;
}

std::optional<int> errno_value(std::string_view name) {
  std::string n(name);
  if (!is_errno_name(n)) return std::nullopt;
  auto v = constant_value(n);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<std::string> errno_name(int value) {
  // Prefer the canonical name when aliases share a value (EWOULDBLOCK=EAGAIN, EDEADLOCK=EDEADLK,
  // ENOTSUP=EOPNOTSUPP): the alias list is the one glibc's <errno.h> documents as aliases.
  static const char* const kAliases[] = {"EWOULDBLOCK", "EDEADLOCK", "ENOTSUP"};
  std::optional<std::string> found;
  for (auto& [n, v] : table()) {
    if (!is_errno_name(n) || static_cast<int>(v) != value) continue;
    if (std::find_if(std::begin(kAliases), std::end(kAliases),
                     [&](const char* a) { return n == a; }) != std::end(kAliases)) {
      if (!found) found = n;
      continue;
    }
    return n;
  }
  return found;
}

std::vector<std::string> all_errno_names() {
  std::vector<std::string> out;
  for (auto& [n, _] : table())
    if (is_errno_name(n)) out.push_back(n);
  return out;
}

}  // namespace policy::names
