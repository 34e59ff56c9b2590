// Postures of what policyc reads from files: a compiled policy, and the profiles of other tools
// (a Docker/OCI seccomp JSON, an AppArmor profile) imported through compiler/importer with the
// runtime defaults they leave to the engine said as assumptions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/audit/posture.hpp"
#include "compiler/common/diagnostics.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::audit {

// The posture a container started from `policy` has: its seccomp filter compiled with `options`,
// every other layer from the IR, each fact located at the rule that sets it.
Posture posture_of_policy(const ir::Policy& policy, const driver::SeccompOptions& options,
                          const std::string& subject);

// What a profile of another tool leaves to the engine: the posture of a base policy (Docker's
// runtime defaults: docker-default.pol), or nothing (every other layer unknown).
struct ProfileBase {
  std::optional<Posture> posture;  // nullopt: `--base none`
  std::string name;                // "docker-default (policies/docker-default.pol)"
};

// A Docker/OCI seccomp JSON (`text`, read from `file`): its filter, compiled with `options`, for a
// container keeping `capabilities` (which decide the JSON's includes/excludes `caps`;
// `caps_origin` says where they come from), every other layer from `base`. Seccomp findings are
// located at the JSON's `syscalls[i]` entry that names the call. nullopt after reporting the
// profile's errors to `diags`; throws policy::Error when the text is not JSON.
std::optional<Posture> posture_of_seccomp_json(const std::string& text, const std::string& file,
                                               uint64_t capabilities,
                                               const std::string& caps_origin,
                                               const ProfileBase& base,
                                               const driver::SeccompOptions& options,
                                               DiagnosticEngine& diags);

// An AppArmor profile: the LSM layer; every other layer from `base`. nullopt after reporting the
// profile's errors to `diags`.
std::optional<Posture> posture_of_apparmor(const std::string& text, const std::string& file,
                                           const ProfileBase& base, DiagnosticEngine& diags);

// Adds an AppArmor profile as the LSM layer of `posture` (`--apparmor PROFILE`). false after
// reporting its errors to `diags`.
bool add_apparmor_profile(Posture& posture, const std::string& text, const std::string& file,
                          DiagnosticEngine& diags);

}  // namespace policy::audit
