// The policy language front end: .pol text -> Policy IR, with clang-style diagnostics.
// parse (grammar/policy_grammar.hpp -> AST, parse.hpp) -> load (includes, groups, policies;
// load.cpp) -> resolve (names, extends, gates, conditions in DNF; resolve.hpp) -> ir::Policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diagnostics.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::frontend {

struct LoadOptions {
  // Searched for `include "x.pol"` after the including file's directory. The front end reads no
  // environment: the programs add $POLICY_PATH here (driver::default_include_dirs).
  std::vector<std::string> include_dirs;
  // Which policy to compile when a file has several (default: the last one in the file).
  std::optional<std::string> policy_name;
  // Target architectures (libseccomp tokens). Empty: the policy's `syscalls arch`, else
  // names::default_target_arches().
  std::vector<uint32_t> arches;
  // The kernel `when kernel >= X.Y` is decided against. Unset: the host's (uname).
  std::optional<ir::KernelVersion> kernel;
  // When set, receives every file the load depended on, in order: each file read (with its text)
  // and each include candidate found missing (a file created there later would be read instead).
  // policyrun's compile cache (runtime/launch/policy_cache.hpp) checks them to reuse a compile.
  struct FileProbe {
    std::string path;
    bool exists = false;
    std::string text;
  };
  std::vector<FileProbe>* probes = nullptr;
  // The engine keeps at most this many errors (0: all); --error-limit of policyc and policyrun.
  unsigned error_limit = kDefaultErrorLimit;
};

// Returns nullopt iff `diags` has errors (warnings alone do not fail; -Werror is the engine's).
std::optional<ir::Policy> load_policy_file(const std::string& path, const LoadOptions& options,
                                           DiagnosticEngine& diags);
// As load_policy_file, for text already in memory; `file_name` names it in diagnostics and its
// directory is where relative includes are looked up first.
std::optional<ir::Policy> load_policy_text(const std::string& file_name, const std::string& text,
                                           const LoadOptions& options, DiagnosticEngine& diags);

// The host kernel's version (uname), for `when kernel >=`.
ir::KernelVersion host_kernel_version();

}  // namespace policy::frontend
