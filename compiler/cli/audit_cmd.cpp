// `policyc audit TARGET`: findings, exposure score, Pod Security Standards level and CIS items of
// a policy, a Docker/OCI seccomp JSON, an AppArmor profile or a live process (docs/audit.md).
#include <filesystem>
#include <iostream>

#include "compiler/audit/audit.hpp"
#include "compiler/audit/from_policy.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/cli/commands.hpp"
#include "compiler/cli/options.hpp"
#include "compiler/common/error.hpp"
#include "compiler/importer/import.hpp"
#include "compiler/importer/seccomp_json.hpp"
#include "compiler/inspect/process.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace policy::cli {
namespace {

// A path as the user would write it from here: relative when under the working directory.
std::string shown_path(const fs::path& p) {
  std::error_code ec;
  fs::path rel = fs::relative(p, fs::current_path(), ec);
  if (!ec && !rel.empty() && *rel.begin() != "..") return rel.string();
  return p.string();
}

// `--base NAME|FILE.pol|none`: NAME is looked up as NAME.pol in the include path and its policy
// NAME is used.
audit::ProfileBase load_base(const std::string& base, PolicyOptions opts) {
  audit::ProfileBase out;
  if (base == "none") return out;
  std::string file;
  if (base.find('/') != std::string::npos || fs::path(base).extension() == ".pol") {
    file = base;
  } else {
    for (const std::string& dir : opts.load_options().include_dirs)
      if (fs::is_regular_file(fs::path(dir) / (base + ".pol"))) {
        file = shown_path(fs::path(dir) / (base + ".pol"));
        break;
      }
    if (file.empty())
      throw Error("--base " + base + ": no " + base +
                  ".pol in the include path (-I DIR, $POLICY_PATH); give a policy file, a "
                  "policy name, or none");
    opts.policy_name = base;
  }
  DiagnosticEngine diags;
  auto policy = load(file, opts, diags);
  if (!policy) throw Error("--base " + base + ": " + file + " has errors (above)");
  out.name = policy->name + " (" + file + ")";
  out.posture = audit::posture_of_policy(*policy, opts.seccomp_options(), "policy " + out.name);
  return out;
}

}  // namespace

int cmd_audit(const std::vector<std::string>& args) {
  std::string target, format = "text", caps_list, apparmor, base, fail_on;
  PolicyOptions popts;
  po::options_description d(
      "policyc audit TARGET [--format text|json] [--caps LIST] [--apparmor PROFILE] "
      "[--base POLICY|none] [--fail-on SEVERITY]\n"
      "TARGET: a policy (.pol), a Docker/OCI seccomp JSON, an AppArmor profile, or pid:N");
  d.add_options()("help,h", "this help")("target", po::value(&target)->required(), "what to audit")(
      "format", po::value(&format), "text (default) or json")(
      "caps", po::value(&caps_list),
      "seccomp JSON: the capabilities the container keeps, comma-separated (default: Docker's "
      "14); they decide the JSON's includes/excludes caps")(
      "apparmor", po::value(&apparmor),
      "an AppArmor profile that confines the container too (the LSM layer)")(
      "base", po::value(&base),
      "seccomp JSON or AppArmor profile: the policy whose other layers the container has "
      "(default docker-default: what Docker gives), or none (unknown, scored as exposed)")(
      "fail-on", po::value(&fail_on),
      "exit 3 when a finding is at least this severe: info, low, medium, high, critical");
  popts.add_to(d);
  if (!parse_command(args, d, {{"target", 1}})) return 0;
  if (format != "text" && format != "json")
    throw UsageError("--format wants text or json; got '" + format + "'");
  std::optional<audit::Severity> threshold;
  if (!fail_on.empty()) {
    threshold = audit::parse_severity(fail_on);
    if (!threshold)
      throw UsageError("--fail-on wants info, low, medium, high or critical; got '" + fail_on +
                       "'");
  }
  std::optional<uint64_t> caps;
  if (!caps_list.empty()) {
    std::string unknown;
    caps = caps::mask_of(split_list({caps_list}), &unknown);
    if (!caps) throw UsageError("unknown capability '" + unknown + "' in --caps");
  }

  if (caps && (fs::path(target).extension() == ".pol" || target.rfind("pid:", 0) == 0))
    throw UsageError("--caps applies to a seccomp JSON; a policy or a process has its own");

  if (!base.empty() && (fs::path(target).extension() == ".pol" || target.rfind("pid:", 0) == 0))
    throw UsageError(
        "--base applies to a seccomp JSON or an AppArmor profile; a policy or a "
        "process has its own layers");
  if (base.empty()) base = "docker-default";

  DiagnosticEngine diags;
  popts.configure(diags);
  diags.set_error_limit(popts.error_limit);
  std::optional<audit::Posture> posture;
  if (target.rfind("pid:", 0) == 0) {
    const std::string n = target.substr(4);
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 9)
      throw Error(target + ": not a process id; write pid:N with N a number (e.g. pid:1234)");
    posture = inspect::posture_of_process(static_cast<pid_t>(std::stol(n)));
  } else if (fs::path(target).extension() == ".pol") {
    auto policy = load(target, popts, diags);
    if (!policy) return 1;
    posture = audit::posture_of_policy(*policy, popts.seccomp_options(),
                                       "policy " + policy->name + " (" + target + ")");
  } else {
    const std::string text = read_input(target);
    const auto format_in = importer::sniff_format(text);
    const audit::ProfileBase b = load_base(base, popts);
    if (format_in == importer::Format::SeccompJson) {
      const uint64_t c = caps.value_or(importer::JsonImportOptions::docker_default_capabilities());
      posture = audit::posture_of_seccomp_json(
          text, target, c, caps ? "--caps " + caps_list : "Docker's 14 default capabilities", b,
          popts.seccomp_options(), diags);
    } else {
      posture = audit::posture_of_apparmor(text, target, b, diags);
    }
    diags.print_all(std::cerr);
    if (!posture) return 1;
  }
  if (!apparmor.empty()) {
    DiagnosticEngine adiags;
    const bool ok = audit::add_apparmor_profile(*posture, read_input(apparmor), apparmor, adiags);
    adiags.print_all(std::cerr);
    if (!ok) return 1;
  }
  const audit::AuditResult result = audit::run_audit(*posture);
  if (format == "json")
    std::cout << audit::render_json(result).dump(2) << "\n";
  else
    std::cout << audit::render_text(result);
  if (threshold)
    for (const audit::Finding& f : result.findings)
      if (f.severity >= *threshold) return 3;
  return 0;
}

}  // namespace policy::cli
