// The tests' oracle for Docker's profile format: Docker's own conversion of a profile into the OCI
// `linux.seccomp` it hands to runc, step by step as moby's profiles/seccomp setupSeccomp does it
// (no IR). tests/support/runc_oracle.hpp then builds that OCI profile as runc does.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "compiler/ir/seccomp.hpp"

namespace policy::seccomp {

// What Docker's conversion depends on: the host's architecture (Go's runtime.GOARCH), the
// container's bounding capability set, and the host kernel (uname).
struct DockerHost {
  uint32_t arch = 0;          // libseccomp token of the host architecture
  uint64_t capabilities = 0;  // bit n: capability n is in the bounding set
  ir::KernelVersion kernel;
};

// `architectures` (copied) or the archMap entry whose architecture is the host's (with its
// subArchitectures); then every syscalls entry that passes its excludes (arches: the host is
// listed; caps: any is in the bounding set; minKernel: the kernel is at least it) and includes
// (arches: the host is listed; caps: all are in the bounding set; minKernel: the kernel is at
// least it), written as OCI entries without the gates. Throws policy::Error where Docker refuses
// the profile (both architectures and archMap; both name and names).
nlohmann::json docker_to_oci(const nlohmann::json& profile, const DockerHost& host);

// Docker's string for the host architecture, which includes/excludes `arches` are compared with
// (moby's goToNative of runtime.GOARCH: "amd64", "arm64", "x86", "s390x", ...).
std::string docker_host_arch(uint32_t arch);

}  // namespace policy::seccomp
