// `policyc import`: a profile of another tool in, readable policy text out. The room's pipeline:
// sniff the format -> its reader (seccomp_json.hpp, apparmor_profile.hpp) -> Policy IR ->
// write_policy (pol_writer.hpp) -> the front end checks that the text compiles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "compiler/common/diagnostics.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::importer {

enum class Format { SeccompJson, AppArmorProfile };

// A Docker/OCI seccomp profile is a JSON object; anything else is read as an AppArmor profile.
Format sniff_format(const std::string& text);
// "seccomp profile", "AppArmor profile": how messages and the written header name the format.
const char* format_name(Format format);

struct ImportOptions {
  std::string file;                      // the profile's path: diagnostics, names, the header
  std::optional<uint64_t> capabilities;  // seccomp JSON: kept capabilities (default: Docker's 14)
  std::string name;                      // the policy's name (default: file stem or profile name)
  std::string base;                      // seccomp JSON: the written policy extends this policy
};

struct Imported {
  Format format = Format::SeccompJson;
  ir::Policy policy;
};

// Reads `text` (the contents of options.file) in its sniffed format into the IR, named as the
// policy language allows. nullopt when `diags` has errors. Throws policy::Error when a seccomp
// profile is not JSON at all.
std::optional<Imported> read_profile(const std::string& text, const ImportOptions& options,
                                     DiagnosticEngine& diags);

// The policy text of an import: a header saying where it came from (and, for a seccomp profile,
// what it lacks or takes from --base), then the policy.
std::string policy_text(const Imported& imported, const ImportOptions& options);

// Checks that `text` compiles (as `shown`), with `load` for the includes of a --base; the
// diagnostics go to `diags`. What import writes must compile.
bool policy_text_compiles(const std::string& shown, const std::string& text,
                          frontend::LoadOptions load, DiagnosticEngine& diags);

}  // namespace policy::importer
