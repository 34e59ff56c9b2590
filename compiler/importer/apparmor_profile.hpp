// `policyc import` for AppArmor profiles: reads a profile (every rule kind docker-default uses, and
// the common others) into the Policy IR so existing profiles can be audited and compared.
#pragma once

#include <optional>
#include <string>

#include "compiler/common/diagnostics.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::importer {

// Imports the first profile in `text` (named `file` in diagnostics). The policy is named after the
// profile; file, network, capability, mount/umount/remount/pivot_root, signal and ptrace rules go
// into the IR with their line and column. Rules the IR cannot hold (unix, dbus, change_profile,
// rlimit, nested profiles, include) get a warning and are left out. Returns nullopt after
// reporting errors to `diags`.
std::optional<ir::Policy> import_apparmor(const std::string& text, const std::string& file,
                                          DiagnosticEngine& diags);

}  // namespace policy::importer
