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
// Docker's profile format, with Docker's gates kept, so that Docker's own conversion
// (setupSeccomp: archMap for the host, includes/excludes on arches, caps and minKernel) gives, for
// any capability set, the filter the policy resolved for that set gives:
// - archMap lists every host architecture libseccomp knows with its compat ABIs
//   (names::compat_arches) when the policy targets one whole such group (the default); otherwise
//   the policy's arches, the first as the host;
// - rules with `when capability` gates are written with includes.caps / excludes.caps, the active
//   ones and, when `capabilities` (the bounding set the gates were decided against) is given, the
//   inactive ones too; `when kernel >=` rules with includes.minKernel; `when arch` rules with
//   includes.arches naming the hosts (Docker's names: amd64, arm64, s390x, ...) of the groups
//   they cover. Throws policy::Error for a rule that covers only some ABIs of a group, or that
//   to_oci_seccomp would refuse.
nlohmann::json to_docker_seccomp(const ir::SeccompPolicy& policy,
                                 const std::optional<ir::KernelVersion>& kernel = std::nullopt,
                                 std::optional<uint64_t> capabilities = std::nullopt);

// "SCMP_ARCH_X86_64" for a libseccomp arch token.
std::string scmp_arch_name(uint32_t arch_token);

}  // namespace policy::seccomp
