// Landlock backend: the Policy IR's filesystem, TCP port and scope rules as a Landlock ruleset for
// a given ABI version (docs/landlock.md), and what Landlock does with every rule. A pure function;
// runtime/launch/landlock.cpp opens the paths inside the container and enforces it.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "compiler/ir/rule_coverage.hpp"

namespace policy::landlock {

// One path-beneath rule: `path` (a container path) and everything beneath it get `access`.
struct PathGrant {
  std::string path;
  uint64_t access = 0;  // LANDLOCK_ACCESS_FS_* bits
  SourceLoc loc;        // the policy rule it comes from
  std::string rule;     // that rule in policy words
};

// Ports [first, last] allowed for `access` (LANDLOCK_ACCESS_NET_BIND_TCP or _CONNECT_TCP).
struct PortGrant {
  uint64_t access = 0;
  uint16_t first = 0, last = 0;
};

struct Ruleset {
  int abi = 0;               // the ABI this ruleset was compiled for
  uint64_t handled_fs = 0;   // 0: Landlock does not restrict files
  uint64_t handled_net = 0;  // 0: Landlock does not restrict TCP ports
  uint64_t scoped = 0;       // LANDLOCK_SCOPE_* bits
  std::vector<PathGrant> paths;
  std::vector<PortGrant> ports;
  std::vector<RuleCoverage> coverage;  // what Landlock does with every rule of the policy
  bool restricts() const { return handled_fs || handled_net || scoped; }
  size_t port_rule_count() const;  // one kernel rule per port
};

// Compiles the policy for Landlock ABI `abi` (1..kLatestKnownAbi; larger values are clamped). ABI 0
// (no Landlock): an empty ruleset whose coverage marks every rule not enforced.
Ruleset compile_ruleset(const ir::Policy& policy, int abi);

// Per IR rule: enforced, partially (why) or not enforced (why) by Landlock at ABI `abi`.
std::vector<RuleCoverage> landlock_coverage(const ir::Policy& policy, int abi);

// The directory a pattern's path-beneath rule starts at, and whether the pattern is exactly
// "that directory and everything beneath" (or one exact path). /etc/nginx/** -> {/etc/nginx, true};
// /etc/*.conf -> {/etc, false}; @{PROC}/sys/** -> {/proc/sys, true}.
struct PatternBase {
  std::string path;
  bool exact = false;
};
PatternBase pattern_base(const std::string& pattern);

// LANDLOCK_ACCESS_FS_* names of a mask ("read_file|write_file"), for logs and reports.
std::string fs_access_names(uint64_t access);

// The ruleset as JSON (what `policyc compile` writes as the Landlock output).
std::string ruleset_json(const Ruleset& rs);

}  // namespace policy::landlock
