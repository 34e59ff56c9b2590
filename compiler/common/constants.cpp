// Named constants, evaluated by the compiler from the system headers (cmake/constants.cmake
// lists the names; this file's includes give the values).
#include "cmake/constants_headers.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/common/names.hpp"

namespace policy::names {

namespace {

// The name held in the entry, not pointed to: a table of pointers is relocated (each of its pages
// written) by the dynamic loader at every start of a PIE program, used or not, ~7 pages here.
// A name longer than the array is a compile error ("initializer-string ... is too long").
struct Entry {
  char name[48];
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

// The entries in name order, built once without copying a name (a map of strings cost ~0.5 ms of
// every compile); entries with the same name keep the table's order, the first one wins.
const std::vector<const Entry*>& sorted() {
  static const std::vector<const Entry*> v = [] {
    std::vector<const Entry*> out;
    out.reserve(std::size(kConstants));
    for (const Entry& e : kConstants) out.push_back(&e);
    std::stable_sort(out.begin(), out.end(), [](const Entry* a, const Entry* b) {
      return std::strcmp(a->name, b->name) < 0;
    });
    return out;
  }();
  return v;
}

// The entries named `name` (empty when none).
std::pair<std::vector<const Entry*>::const_iterator, std::vector<const Entry*>::const_iterator>
named(std::string_view name) {
  const auto& v = sorted();
  auto lo = std::lower_bound(v.begin(), v.end(), name,
                             [](const Entry* e, std::string_view n) { return e->name < n; });
  auto hi = lo;
  while (hi != v.end() && (*hi)->name == name) ++hi;
  return {lo, hi};
}

// errno names are the macros of <errno.h> alone (cmake/constants.cmake marks them).
bool is_errno_name(std::string_view n) {
  auto [lo, hi] = named(n);
  return std::any_of(lo, hi, [](const Entry* e) { return e->is_errno; });
}

// Each name once, in name order, with the value of its first entry.
template <typename F>
void for_each_name(F&& f) {
  const auto& v = sorted();
  for (size_t i = 0; i < v.size(); ++i)
    if (i == 0 || std::strcmp(v[i - 1]->name, v[i]->name) != 0)
      f(std::string_view(v[i]->name), static_cast<uint64_t>(v[i]->value));
}

}  // namespace

std::optional<uint64_t> constant_value(std::string_view name) {
  auto [lo, hi] = named(name);
  if (lo == hi) return std::nullopt;
  return static_cast<uint64_t>((*lo)->value);
}

const std::vector<std::string>& all_constant_names() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> out;
    for_each_name([&](std::string_view n, uint64_t) { out.emplace_back(n); });
    return out;
  }();
  return v;
}

std::optional<std::string> constant_name(std::string_view prefix, uint64_t value) {
  // <sys/socket.h>'s other names of AF_UNIX and AF_NETLINK.
  static constexpr std::string_view kAliases[] = {"AF_FILE", "AF_LOCAL", "AF_ROUTE",
                                                  "PF_FILE", "PF_LOCAL", "PF_ROUTE"};
  for (const std::string& name : all_constant_names())
    if (name.rfind(prefix, 0) == 0 &&
        std::find(std::begin(kAliases), std::end(kAliases), name) == std::end(kAliases) &&
        name.find("MAX") == std::string::npos && constant_value(name) == value)
      return name;
  return std::nullopt;
}

std::optional<int> errno_value(std::string_view name) {
  if (!is_errno_name(name)) return std::nullopt;
  auto v = constant_value(name);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<std::string> errno_name(int value) {
  // Prefer the canonical name when aliases share a value (EWOULDBLOCK=EAGAIN, EDEADLOCK=EDEADLK,
  // ENOTSUP=EOPNOTSUPP): the alias list is the one glibc's <errno.h> documents as aliases.
  static const char* const kAliases[] = {"EWOULDBLOCK", "EDEADLOCK", "ENOTSUP"};
  std::optional<std::string> found, canonical;
  for_each_name([&](std::string_view n, uint64_t v) {
    if (canonical || !is_errno_name(n) || static_cast<int>(v) != value) return;
    if (std::find_if(std::begin(kAliases), std::end(kAliases),
                     [&](const char* a) { return n == a; }) != std::end(kAliases)) {
      if (!found) found = std::string(n);
      return;
    }
    canonical = std::string(n);
  });
  return canonical ? canonical : found;
}

std::vector<std::string> all_errno_names() {
  std::vector<std::string> out;
  for_each_name([&](std::string_view n, uint64_t) {
    if (is_errno_name(n)) out.emplace_back(n);
  });
  return out;
}

}  // namespace policy::names
