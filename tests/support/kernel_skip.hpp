// One way for a test to skip on a host that lacks what it needs, saying why:
//   SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
// A need is a string, "" when the host meets it, else the reason; the test stops as skipped with
// the first unmet need's reason printed. CI fails on a skip that tools/skip-allowlist does not
// name (docs/testing.md), so a reason must say what the host lacks.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <initializer_list>
#include <string>

namespace needs {

// Namespaces, mounts, cgroups, ownership and trusted.* xattrs need root.
inline std::string root() {
  return ::geteuid() == 0 ? "" : "needs root (namespaces, mounts, cgroups)";
}

// A built program the test runs (policyc, policyrun).
inline std::string program(const std::string& path) {
  return std::filesystem::exists(path) ? "" : "no program at " + path + " (build it first)";
}

inline std::string first_unmet(std::initializer_list<std::string> reasons) {
  for (const std::string& r : reasons)
    if (!r.empty()) return r;
  return "";
}

}  // namespace needs

// GTEST_SKIP() returns from the function it is in, so this must be used in the test body (or a
// fixture's SetUp), not in a helper it calls.
#define SKIP_UNLESS(...)                                                           \
  GTEST_AMBIGUOUS_ELSE_BLOCKER_                                                    \
  if (const std::string skip_unless_reason_ = ::needs::first_unmet({__VA_ARGS__}); \
      skip_unless_reason_.empty()) {                                               \
  } else                                                                           \
    GTEST_SKIP() << skip_unless_reason_
