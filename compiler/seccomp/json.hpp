// Docker and OCI seccomp JSON: writers from the IR, the reader into the IR, and an independent
// "as runc builds it" compiler used as the oracle in tests.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diagnostics.hpp"
#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

// ---- writers ----
// OCI runtime-spec `linux.seccomp`: defaultAction, defaultErrnoRet, architectures (SCMP_ARCH_*),
// syscalls [{names, action, errnoRet, args: [{index, value, valueTwo, op}]}]. The rules are those
// libseccomp would be given for the target (min_kernel decided against `kernel`, else
// policy.target_kernel, else the host); rules with the same action and arguments share one entry;
// a condition with several conjunctions becomes one entry per conjunction. Throws policy::Error
// when runc's libseccomp build of the JSON could not decide as the policy does (see
// compile_with_libseccomp) or when a rule applies on only some of the target architectures.
nlohmann::json to_oci_seccomp(const ir::SeccompPolicy& policy,
                              const std::optional<ir::KernelVersion>& kernel = std::nullopt);
// Docker's profile format: the same, with archMap [{architecture, subArchitectures}] (the first
// target arch with the others as its sub-architectures) instead of architectures.
nlohmann::json to_docker_seccomp(const ir::SeccompPolicy& policy,
                                 const std::optional<ir::KernelVersion>& kernel = std::nullopt);

// ---- reader ----
struct JsonImportOptions {
  // Capabilities the container keeps (bit n = capability n): decides includes/excludes "caps".
  // Default: Docker's 14 default capabilities.
  uint64_t capabilities = docker_default_capabilities();
  std::optional<ir::KernelVersion> kernel;  // for minKernel; else the host's
  std::vector<uint32_t> native_arches;      // host arch first (archMap, includes.arches); else host
  std::string file_name;                    // for diagnostics and rule locations

  static uint64_t docker_default_capabilities();
};

// Reads a Docker profile (archMap, includes/excludes) or an OCI `linux.seccomp` object.
// Structural problems are errors in `diags` (the result is then incomplete); syscall names
// libseccomp does not know are skipped with a warning, as Docker does.
ir::SeccompPolicy seccomp_from_json(const nlohmann::json& json, const JsonImportOptions& options,
                                    DiagnosticEngine& diags);

// The oracle: the profile compiled the way Docker + runc do it, straight into libseccomp calls in
// their order (no IR): Docker's include/exclude filtering and archMap, then runc's rule adding
// (rules with the default action skipped, unknown names skipped, several conditions on one
// argument added as separate rules). Returns libseccomp's program before runc's -ENOSYS patch.
// `enosys_stub`: with this project's ENOSYS stub in front (with_enosys_stub, numbers above
// libseccomp's tables; docs/seccomp.md "Syscalls newer than the tables") when the profile's default
// refuses, to compare with policyc's filters. It is not runc's own patch, whose range depends on
// the profile; tests/caps checks that the two coincide on Docker's profile.
Program compile_json_like_runc(const nlohmann::json& json, const JsonImportOptions& options,
                               bool enosys_stub = false);

// "SCMP_ARCH_X86_64" for a libseccomp arch token.
std::string scmp_arch_name(uint32_t arch_token);

}  // namespace policy::seccomp
