// The tests' oracle for seccomp JSON: a profile compiled the way Docker + runc do it, straight into
// libseccomp calls in their order (no IR), to compare policyc's import and filters with.
#pragma once

#include <nlohmann/json.hpp>

#include "compiler/importer/seccomp_json.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

// Docker's include/exclude filtering and archMap (docker_to_oci, support/docker_oracle.hpp), for
// the host options.native_arches[0], capabilities options.capabilities and kernel options.kernel;
// then runc's rule adding (rules with the default
// action skipped, unknown names skipped, several conditions on one argument added as separate
// rules). Returns libseccomp's program before runc's -ENOSYS patch. `enosys_stub`: with this
// project's ENOSYS stub in front (with_enosys_stub, numbers above libseccomp's tables;
// docs/seccomp.md "Syscalls newer than the tables") when the profile's default refuses, to compare
// with policyc's filters. It is not runc's own patch, whose range depends on the profile;
// tests/caps checks that the two coincide on Docker's profile.
Program compile_json_like_runc(const nlohmann::json& json,
                               const importer::JsonImportOptions& options,
                               bool enosys_stub = false);

}  // namespace policy::seccomp
