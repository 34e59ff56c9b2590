// Bundles for the OCI tests: a directory with config.json (written by the test, by `runc spec`,
// or in the shape containerd writes) and a root filesystem.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/oci/config.hpp"

namespace oci_test {

// A fresh bundle directory under the tests' scratch tree, with an empty rootfs/ directory.
std::string new_bundle(const std::string& name);
void write_config(const std::string& bundle, const nlohmann::json& config);
void write_file(const std::string& path, const std::string& text);

// The config containerd's oci/spec.go populateDefaultUnixSpec writes for `ctr run` (as of
// containerd 1.6/1.7), with `args` and root.path "rootfs". No linux.seccomp: the tests add it.
nlohmann::json containerd_default_config(const std::vector<std::string>& args = {"sh"});

// Docker's default seccomp profile as dockerd hands it to the runtime: shared/data's moby
// profile filtered for this host and `capabilities` (tests/support/docker_oracle.hpp).
nlohmann::json docker_oci_seccomp(uint64_t capabilities);

// The capability mask of the named capabilities ("CAP_CHOWN", ...).
uint64_t mask(std::initializer_list<const char*> names);
// Whether a line of c.report contains `needle`; the whole report, for failure messages.
bool has_line(const policy::oci::ContainerConfig& c, const std::string& needle);
std::string report_text(const policy::oci::ContainerConfig& c);

// The path of `runc` when installed, else "".
std::string runc_binary();

}  // namespace oci_test
