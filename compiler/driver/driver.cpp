#include "compiler/driver/driver.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/apparmor/profile.hpp"
#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/json_text.hpp"
#include "compiler/driver/output_files.hpp"
#include "compiler/driver/plan_json.hpp"
#include "compiler/driver/report.hpp"
#include "compiler/k8s/objects.hpp"
#include "compiler/landlock/abi.hpp"
#include "compiler/landlock/ruleset.hpp"
#include "compiler/seccomp/json.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace fs = std::filesystem;

namespace policy::driver {

std::optional<Backend> parse_backend(const std::string& name) {
  if (name == "default" || name == "policyc" || name == "optimizing") return Backend::Optimizing;
  if (name == "libseccomp" || name == "libseccomp-tree") return Backend::LibseccompTree;
  if (name == "libseccomp-linear") return Backend::LibseccompLinear;
  return std::nullopt;
}

std::string backend_name(Backend b) {
  switch (b) {
    case Backend::Optimizing:
      return "policyc";
    case Backend::LibseccompTree:
      return "libseccomp";
    case Backend::LibseccompLinear:
      return "libseccomp-linear";
  }
  return "?";
}

seccomp::Program compile_seccomp(const ir::SeccompPolicy& policy, const SeccompOptions& options) {
  if (options.backend == Backend::Optimizing) {
    bpfgen::Options o;
    bpfgen::FrequencyTable table;
    if (!options.frequencies_file.empty()) {
      table = bpfgen::load_frequencies(options.frequencies_file);
      o.frequencies = &table;
    }
    o.kernel = options.kernel;
    return bpfgen::generate(policy, o);
  }
  seccomp::LibseccompOptions o;
  o.binary_tree = options.backend == Backend::LibseccompTree;
  // As runc does: on x86 libseccomp also applies socket() rules to socketcall(), whose arguments
  // it cannot read; the optimising backend makes the same choice, so both agree (docs/seccomp.md).
  o.allow_multiplexer_widening = true;
  o.kernel = options.kernel;
  return seccomp::compile_with_libseccomp(policy, o);
}

namespace {

std::string program_bytes(const seccomp::Program& p) {
  return std::string(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(sock_filter));
}

std::string landlock_json(const ir::Policy& policy) {
  // For the running kernel's ABI when it has Landlock, else for the newest ABI policyc knows.
  int abi = host_target().landlock_abi;
  if (abi <= 0) abi = landlock::kLatestKnownAbi;
  return landlock::ruleset_json(landlock::compile_ruleset(policy, abi));
}

}  // namespace

const std::vector<EmitKind>& emit_table() {
  using P = const ir::Policy&;
  using O = const SeccompOptions&;
  using F = const std::string&;
  static const std::vector<EmitKind> table = {
      {"bpf", ".bpf", "the seccomp filter (raw struct sock_filter array)",
       [](P p, O o, F) { return program_bytes(compile_seccomp(p.seccomp, o)); }},
      {"oci-seccomp", ".oci-seccomp.json", "the filter as OCI runtime-spec linux.seccomp",
       [](P p, O o, F f) { return json_text(seccomp::to_oci_seccomp(p.seccomp, o.kernel), f); }},
      {"docker-seccomp", ".docker-seccomp.json", "the filter as Docker's profile format",
       [](P p, O o, F f) {
         return json_text(seccomp::to_docker_seccomp(p.seccomp, o.kernel, p.capabilities.bounding),
                          f);
       }},
      {"caps", ".caps.txt", "the five capability sets, names and masks",
       [](P p, O, F) { return caps::render_text(p.capabilities); }},
      {"caps-oci", ".caps.json", "OCI process.capabilities",
       [](P p, O, F f) { return json_text(caps::to_oci(p.capabilities), f); }},
      {"apparmor", ".apparmor", "the AppArmor profile",
       [](P p, O, F) { return apparmor::generate_profile(p); }},
      {"landlock", ".landlock.json", "the Landlock ruleset",
       [](P p, O, F) { return landlock_json(p); }},
      {"plan", ".plan.json", "what policyrun builds: namespaces, mounts, cgroups, process",
       [](P p, O, F f) { return json_text(plan_to_json(p), f); }},
      // Kubernetes (docs/kubernetes.md).
      {"kubelet-seccomp", ".kubelet-seccomp.json",
       "the seccomp file the kubelet reads (install as <kubelet root>/seccomp/policyrun/NAME.json)",
       [](P p, O o, F f) { return json_text(seccomp::to_oci_seccomp(p.seccomp, o.kernel), f); },
       false, "k8s"},
      {"spo-seccomp", ".spo-seccomp.yaml", "the Security Profiles Operator's SeccompProfile",
       [](P p, O o, F f) {
         return k8s::render(k8s::spo_seccomp_profile(p, o.kernel), p,
                            {"kubectl apply -f " + f +
                             "; the Pod then uses localhostProfile "
                             "operator/" +
                             k8s::object_name(p) + ".json"},
                            f);
       },
       false, "k8s"},
      {"spo-apparmor", ".spo-apparmor.yaml", "the Security Profiles Operator's AppArmorProfile",
       [](P p, O, F f) {
         return k8s::render(k8s::spo_apparmor_profile(p), p,
                            {"kubectl apply -f " + f + "; SPO loads it on every node as profile " +
                             k8s::object_name(p)},
                            f);
       },
       false, "k8s"},
      {"k8s-pod", ".pod.yaml", "a Pod with the policy's securityContext and resources",
       [](P p, O, F f) {
         return k8s::render(k8s::pod(p), p,
                            {"Replace the image, then kubectl apply -f " + f +
                             ". The node needs "
                             "the seccomp file (kubelet-seccomp) in <kubelet root>/seccomp/" +
                             k8s::kubelet_seccomp_path(p) +
                             " and the AppArmor profile "
                             "(apparmor) loaded."},
                            f);
       },
       false, "k8s"},
  };
  return table;
}

std::string emit_kind_list() {
  std::string out;
  for (const EmitKind& k : emit_table()) out += (out.empty() ? "" : ", ") + std::string(k.name);
  return out;
}

std::vector<Artifact> build_artifacts(const ir::Policy& policy,
                                      const std::vector<std::string>& kinds,
                                      const SeccompOptions& options) {
  for (const std::string& k : kinds)
    if (k != "k8s" && std::none_of(emit_table().begin(), emit_table().end(),
                                   [&](const EmitKind& e) { return k == e.name; }))
      throw Error("unknown --emit kind '" + k + "'; known kinds: " + emit_kind_list() +
                  " (k8s: the four Kubernetes kinds)");
  auto asked = [&](const EmitKind& e) {
    if (kinds.empty()) return e.by_default;
    return std::find(kinds.begin(), kinds.end(), e.name) != kinds.end() ||
           (*e.group && std::find(kinds.begin(), kinds.end(), e.group) != kinds.end());
  };
  std::vector<Artifact> out;
  for (const EmitKind& e : emit_table()) {
    if (!asked(e)) continue;
    std::string file = policy.name + e.file_suffix;
    out.push_back({e.name, file, e.build(policy, options, file)});
  }
  return out;
}

void write_artifacts(const std::string& dir, const std::vector<Artifact>& artifacts) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create output directory " + dir + ": " + ec.message());
  std::vector<OutputFile> files;
  for (const Artifact& a : artifacts)
    files.push_back({(fs::path(dir) / a.file_name).string(), a.content});
  write_files_atomically(files);
}

std::optional<ir::KernelVersion> parse_kernel_version(const std::string& text) {
  unsigned major = 0, minor = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%u.%u%c", &major, &minor, &tail) != 2) return std::nullopt;
  return ir::KernelVersion{major, minor};
}

std::vector<std::string> default_include_dirs() {
  std::vector<std::string> dirs;
  if (const char* p = std::getenv("POLICY_PATH")) {
    std::stringstream ss(p);
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty()) dirs.push_back(d);
  }
#ifdef POLICY_SOURCE_POLICIES_DIR
  dirs.push_back(POLICY_SOURCE_POLICIES_DIR);
#endif
  return dirs;
}

}  // namespace policy::driver
