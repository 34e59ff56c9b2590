// The compile pipeline behind policyc and policyrun: a policy file in, the artifacts out.
// Every backend is a pure function of the IR; this file only chooses and sequences them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diagnostics.hpp"
#include "compiler/ir/policy.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::driver {

enum class Backend { Optimizing, LibseccompTree, LibseccompLinear };
// "default"/"policyc", "libseccomp" (binary tree), "libseccomp-linear".
std::optional<Backend> parse_backend(const std::string& name);
std::string backend_name(Backend b);

struct SeccompOptions {
  Backend backend = Backend::Optimizing;
  std::optional<ir::KernelVersion> kernel;  // for `when kernel >=`; unset = the host's
  std::string frequencies_file;             // `strace -c` summary for the optimising backend
};

seccomp::Program compile_seccomp(const ir::SeccompPolicy& policy, const SeccompOptions& options);

// One output file of `policyc compile`.
struct Artifact {
  std::string kind;       // the --emit name
  std::string file_name;  // e.g. "web.bpf"
  std::string content;
};

// One --emit kind: its name, the file it writes (policy name + suffix), a line for the help and
// how it is built. emit_table() is the one list of kinds: --emit parsing, `compile --help` and the
// build all read it (tests/cli checks docs/cli.md and the help against it).
struct EmitKind {
  const char* name;
  const char* file_suffix;
  const char* description;
  std::string (*build)(const ir::Policy& policy, const SeccompOptions& options,
                       const std::string& file_name);
  // Written when no --emit is given. The Kubernetes kinds are not: they are asked for (`--emit
  // k8s` names the four), so a plain compile never fails on what only Kubernetes cannot say.
  bool by_default = true;
  const char* group = "";  // "k8s": --emit k8s selects it
};
const std::vector<EmitKind>& emit_table();
// "bpf, oci-seccomp, ..." in the table's order.
std::string emit_kind_list();
// Builds the requested artifacts (all kinds when `kinds` is empty). Throws policy::Error when a
// backend cannot express the policy, naming the backend and the rule.
std::vector<Artifact> build_artifacts(const ir::Policy& policy,
                                      const std::vector<std::string>& kinds,
                                      const SeccompOptions& options);
// Writes every artifact into `dir` (created if missing) or none of them (write_files_atomically).
void write_artifacts(const std::string& dir, const std::vector<Artifact>& artifacts);

// "4.8" -> {4, 8}
std::optional<ir::KernelVersion> parse_kernel_version(const std::string& text);

// The include path used when the user gives none: $POLICY_PATH (colon-separated), then the
// policies/ directory of the source tree the binary was built from.
std::vector<std::string> default_include_dirs();

}  // namespace policy::driver
