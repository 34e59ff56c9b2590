#include "compiler/driver/driver.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/apparmor/profile.hpp"
#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/json_text.hpp"
#include "compiler/driver/plan_json.hpp"
#include "compiler/driver/report.hpp"
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

const std::vector<std::string>& emit_kinds() {
  static const std::vector<std::string> kinds = {
      "bpf", "oci-seccomp", "docker-seccomp", "caps", "caps-oci", "apparmor", "landlock", "plan"};
  return kinds;
}

namespace {

std::string program_bytes(const seccomp::Program& p) {
  return std::string(reinterpret_cast<const char*>(p.data()), p.size() * sizeof(sock_filter));
}

}  // namespace

std::vector<Artifact> build_artifacts(const ir::Policy& policy,
                                      const std::vector<std::string>& kinds,
                                      const SeccompOptions& options) {
  const std::vector<std::string>& want = kinds.empty() ? emit_kinds() : kinds;
  auto wanted = [&](const char* k) { return std::find(want.begin(), want.end(), k) != want.end(); };
  for (const std::string& k : want)
    if (std::find(emit_kinds().begin(), emit_kinds().end(), k) == emit_kinds().end())
      throw Error("unknown --emit kind '" + k +
                  "'; known kinds: bpf, oci-seccomp, docker-seccomp, caps, caps-oci, apparmor, "
                  "landlock, plan");
  std::vector<Artifact> out;
  const std::string& n = policy.name;
  if (wanted("bpf"))
    out.push_back({"bpf", n + ".bpf", program_bytes(compile_seccomp(policy.seccomp, options))});
  if (wanted("oci-seccomp"))
    out.push_back({"oci-seccomp", n + ".oci-seccomp.json",
                   json_text(seccomp::to_oci_seccomp(policy.seccomp, options.kernel),
                             n + ".oci-seccomp.json")});
  if (wanted("docker-seccomp"))
    out.push_back({"docker-seccomp", n + ".docker-seccomp.json",
                   json_text(seccomp::to_docker_seccomp(policy.seccomp, options.kernel),
                             n + ".docker-seccomp.json")});
  if (wanted("caps"))
    out.push_back({"caps", n + ".caps.txt", caps::render_text(policy.capabilities)});
  if (wanted("caps-oci"))
    out.push_back({"caps-oci", n + ".caps.json",
                   json_text(caps::to_oci(policy.capabilities), n + ".caps.json")});
  if (wanted("apparmor"))
    out.push_back({"apparmor", n + ".apparmor", apparmor::generate_profile(policy)});
  if (wanted("landlock")) {
    // For the running kernel's ABI when it has Landlock, else for the newest ABI policyc knows.
    int abi = host_target().landlock_abi;
    if (abi <= 0) abi = landlock::kLatestKnownAbi;
    out.push_back({"landlock", n + ".landlock.json",
                   landlock::ruleset_json(landlock::compile_ruleset(policy, abi))});
  }
  if (wanted("plan"))
    out.push_back({"plan", n + ".plan.json", json_text(plan_to_json(policy), n + ".plan.json")});
  return out;
}

void write_artifacts(const std::string& dir, const std::vector<Artifact>& artifacts) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create output directory " + dir + ": " + ec.message());
  // Stage everything in a private directory beside the target, then rename file by file: a
  // failure before the renames leaves nothing behind.
  std::string tmpl = (fs::path(dir) / ".policyc-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw sys_error("cannot create a temporary directory in", dir);
  fs::path staging(buf.data());
  try {
    for (const Artifact& a : artifacts) {
      std::ofstream f(staging / a.file_name, std::ios::binary);
      f.write(a.content.data(), static_cast<std::streamsize>(a.content.size()));
      f.close();
      if (!f) throw Error("cannot write " + (fs::path(dir) / a.file_name).string());
    }
    for (const Artifact& a : artifacts)
      fs::rename(staging / a.file_name, fs::path(dir) / a.file_name);
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  fs::remove_all(staging, ec);
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
