// `policyc diff`: the privilege delta between two policies, computed from what each compiles to
// (the seccomp filters run over every syscall, architecture and argument edge; every other layer
// from the IR the backends read), never from the text. docs/review.md says how to read it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/audit/audit.hpp"
#include "compiler/common/source.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::review {

// Widen: the NEW policy lets the process do something OLD refused (or refused less hard);
// Narrow: the reverse; Change: different but neither (errno(EPERM) -> errno(ENOSYS)).
enum class Direction { Widen, Narrow, Change };
const char* direction_name(Direction d);  // "widen", "narrow", "change"

// The scale `policyc audit` grades findings on (compiler/audit/audit.hpp).
using Severity = audit::Severity;
using audit::parse_severity;
using audit::severity_name;

struct Change {
  std::string category;  // syscalls, capabilities, filesystem, network, namespaces, resources,
                         // devices, process, rootfs, sysctls, lsm
  Direction direction = Direction::Change;
  Severity severity = Severity::Info;
  std::string text;      // "ptrace: now allowed, was kill-process (x86_64, x86, x32)"
  SourceLoc loc;         // the NEW rule that causes it; OLD's rule when `removed`
  bool removed = false;  // the cause is a rule of OLD that NEW no longer has
};

struct Delta {
  std::string old_label, new_label;  // as the user named them ("HEAD~1:policies/web.pol")
  // "HEAD" when NEW was read from git as HEAD:path (its locations are "HEAD:path:line:col";
  // SARIF locates them at `path` of the repository); empty for a file.
  std::string new_revision;
  std::vector<Change> changes;  // widenings first, most severe first, then by location
  size_t count(Direction d) const;
};

// Seccomp changes: both filters (compiled with `options`) over every syscall number of every
// target arch, argument values probed with seccomp::probe_values of both policies' constants.
std::vector<Change> seccomp_changes(const ir::Policy& old_policy, const ir::Policy& new_policy,
                                    const driver::SeccompOptions& options);
// Every other layer, from the IR (layers.cpp).
std::vector<Change> layer_changes(const ir::Policy& old_policy, const ir::Policy& new_policy);

// A constant of the system headers by its value, among the names starting with `prefix`:
// ("AF_", 16) -> "AF_NETLINK (16)"; the number alone when no name fits.
std::string named_value(const std::string& prefix, uint64_t value);

Delta diff_policies(const ir::Policy& old_policy, const ir::Policy& new_policy,
                    const driver::SeccompOptions& options);

}  // namespace policy::review
