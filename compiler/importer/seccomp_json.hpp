// Docker and OCI seccomp JSON profiles into the IR, following what Docker (moby/profiles seccomp
// setupSeccomp) and runc (libcontainer/seccomp) do with each field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diagnostics.hpp"
#include "compiler/ir/seccomp.hpp"

namespace policy::importer {

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

}  // namespace policy::importer
