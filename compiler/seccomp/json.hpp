// Docker and OCI seccomp JSON written from the IR (the reader is
// compiler/importer/seccomp_json.hpp; the "as runc builds it" oracle of the tests is
// tests/support/runc_oracle.hpp).
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

// "SCMP_ARCH_X86_64" for a libseccomp arch token.
std::string scmp_arch_name(uint32_t arch_token);

}  // namespace policy::seccomp
