#include "compiler/cli/commands.hpp"
#include "compiler/cli/options.hpp"

#include <linux/seccomp.h>

#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/json_text.hpp"
#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/driver/explain.hpp"
#include "compiler/driver/output_files.hpp"
#include "compiler/driver/report.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/importer/import.hpp"
#include "compiler/importer/pol_writer.hpp"
#include "compiler/seccomp/disassemble.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace policy::cli {

namespace {

std::string human_size(size_t bytes) {
  if (bytes < 10 * 1024) return std::to_string(bytes) + " B";
  return std::to_string((bytes + 512) / 1024) + " KiB";
}

void print_stats(const seccomp::Program& prog, const ir::SeccompPolicy& s,
                 const driver::SeccompOptions& o, std::ostream& out) {
  bpfgen::Stats st = bpfgen::measure(prog, s, o.kernel);
  out << "seccomp (" << driver::backend_name(o.backend) << "): " << st.instructions
      << " instructions; per allowed syscall " << std::fixed;
  out.precision(2);
  out << st.mean_executed_allowed << " executed on average (native arch "
      << st.mean_executed_allowed_native << "), " << st.max_executed_allowed << " at most; "
      << st.cache_eligible_allowed << " of " << st.allowed_syscalls
      << " allowed syscalls cached by the kernel (" << st.argument_free_allowed
      << " argument-free)\n";
  out.unsetf(std::ios::fixed);
}

}  // namespace

int cmd_compile(const std::vector<std::string>& args) {
  PolicyOptions popts;
  std::string file, out_dir, report, frequencies;
  std::vector<std::string> emit;
  bool stats = false, report_only = false;
  po::options_description d("policyc compile FILE.pol [options]");
  d.add_options()("help,h", "this help")("file", po::value(&file)->required(), "policy file")(
      "output,o", po::value(&out_dir), "directory for the artifacts (default: .)")(
      "emit", po::value(&emit)->composing(),
      ("artifacts to write, comma-separated: " + driver::emit_kind_list() +
       " (default: all but the Kubernetes kinds; k8s: kubelet-seccomp, spo-seccomp, "
       "spo-apparmor and k8s-pod)")
          .c_str())("stats", po::bool_switch(&stats), "print the seccomp filter's size and cost")(
      "report", po::value(&report)->implicit_value("text"),
      "print which layer enforces each rule (text or json) on standard output; the other "
      "messages go to standard error")(
      "report-only", po::bool_switch(&report_only),
      "print the report and write no artifacts (implies --report)")(
      "frequencies", po::value(&frequencies),
      "strace -c summary weighting the optimising backend's syscall search");
  popts.add_to(d);
  if (!parse_command(args, d, {{"file", 1}})) return 0;
  DiagnosticEngine diags;
  auto policy = load(file, popts, diags);
  if (!policy) return 1;
  driver::SeccompOptions so = popts.seccomp_options();
  so.frequencies_file = frequencies;
  if (report_only && report.empty()) report = "text";
  if (report_only && (!emit.empty() || !out_dir.empty()))
    throw UsageError("--report-only writes no artifacts: drop --emit and -o");
  if (out_dir.empty()) out_dir = ".";
  if (!report.empty() && report != "text" && report != "json")
    throw UsageError("--report takes text or json, not '" + report + "'");
  // With a report on standard output, it is the only thing there (a JSON report parses as is).
  std::ostream& messages = report.empty() ? std::cout : std::cerr;
  std::vector<driver::Artifact> artifacts;
  if (!report_only) {
    // Built (and every backend checked) before the report is printed: a policy that does not
    // compile prints no report.
    artifacts = driver::build_artifacts(*policy, split_list(emit), so);
  }
  if (!report.empty()) {
    auto r = driver::enforceability_report(*policy, driver::host_target(), so);
    if (report == "json")
      std::cout << json_text(driver::report_json(r), "the --report json of " + file);
    else
      std::cout << driver::report_text(r);
  }
  if (!report_only) {
    driver::write_artifacts(out_dir, artifacts);
    for (const driver::Artifact& a : artifacts) {
      messages << "wrote " << (fs::path(out_dir) / a.file_name).string() << " ("
               << human_size(a.content.size());
      if (a.kind == "bpf")
        messages << ", " << a.content.size() / sizeof(sock_filter) << " instructions";
      messages << ")\n";
    }
    messages << "capabilities: CapBnd " << caps::status_hex(policy->capabilities.bounding)
             << ", CapEff " << caps::status_hex(policy->capabilities.effective) << "\n";
  }
  if (stats)
    print_stats(driver::compile_seccomp(policy->seccomp, so), policy->seccomp, so, messages);
  return 0;
}

int cmd_check(const std::vector<std::string>& args) {
  PolicyOptions popts;
  std::string file;
  po::options_description d("policyc check FILE.pol [options]");
  d.add_options()("help,h", "this help")("file", po::value(&file)->required(), "policy file");
  popts.add_to(d);
  if (!parse_command(args, d, {{"file", 1}})) return 0;
  DiagnosticEngine diags;
  auto policy = load(file, popts, diags);
  if (!policy) return 1;
  std::cout << file << ": policy '" << policy->name << "': " << policy->seccomp.rules.size()
            << " active syscall rules";
  if (!policy->seccomp.inactive_rules.empty())
    std::cout << " (" << policy->seccomp.inactive_rules.size()
              << " inactive by capability or kernel)";
  std::cout << ", default " << seccomp::describe(policy->seccomp.default_action) << "\n";
  return 0;
}

namespace {

uint64_t parse_arg_value(const std::string& text) {
  if (auto v = names::constant_value(text)) return *v;
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used, 0);
    if (used == text.size()) return static_cast<uint64_t>(v);
  } catch (const std::exception&) {
  }
  try {
    size_t used = 0;
    unsigned long long v = std::stoull(text, &used, 0);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  // A|B combinations of constants, as in policies.
  uint64_t v = 0;
  std::stringstream ss(text);
  bool any = false;
  for (std::string part; std::getline(ss, part, '|');) {
    auto c = names::constant_value(part);
    if (!c) {
      auto s = suggest(part, names::all_constant_names());
      throw UsageError("argument '" + text + "' is neither a number nor a known constant" +
                       (s.empty() ? "" : "; did you mean '" + s[0] + "'?"));
    }
    v |= *c;
    any = true;
  }
  if (!any) throw UsageError("empty argument value");
  return v;
}

void print_explanation(const driver::CallExplanation& e, const std::string& syscall,
                       const std::vector<std::string>& values, const driver::SeccompOptions& so) {
  if (!e.nr) {
    std::cout << syscall << " does not exist on " << names::arch_name(e.arch)
              << ": a call cannot name it there\n";
    return;
  }
  auto arg_names = syscall_arg_names(syscall);
  std::cout << syscall << "(";
  for (size_t i = 0; i < values.size(); ++i)
    std::cout << (i ? ", " : "") << (i < arg_names.size() ? arg_names[i] + "=" : "") << values[i];
  std::cout << ") on " << names::arch_name(e.arch) << " (nr " << *e.nr
            << "): " << seccomp::describe(e.run.ret) << "\n";
  std::cout << "  decided by the compiled filter (" << driver::backend_name(so.backend) << ", "
            << e.instructions << " instructions, " << e.run.executed << " executed"
            << (e.run.read_args() ? ", arguments read" : ", arguments not read") << ")\n";
  // Where that verdict comes from in the source, for the reader.
  for (const ir::SyscallRule* rule : e.rules) {
    std::cout << "  policy rule: " << seccomp::describe(rule->action) << " " << rule->syscall;
    if (!rule->args.empty())
      std::cout << "(" << importer::condition_text(rule->syscall, rule->args) << ")";
    if (rule->loc.known()) std::cout << " at " << rule->loc.str();
    if (!rule->via.empty()) std::cout << " via " << rule->via;
    std::cout << "\n";
  }
  if (e.default_applies)
    std::cout << "  policy: no rule for this call matches; the default action applies\n";
  if (e.removal)
    std::cout << "  removed: the bases' rules granting " << syscall << " are taken away at "
              << e.removal->loc.str() << "\n";
  for (const ir::SyscallRule* rule : e.inactive_rules) {
    std::cout << "  inactive rule: " << seccomp::describe(rule->action) << " " << rule->syscall;
    if (rule->loc.known()) std::cout << " at " << rule->loc.str();
    for (auto& c : rule->requires_caps) std::cout << " (needs " << c << ", not kept)";
    for (auto& c : rule->unless_caps) std::cout << " (only without " << c << ", which is kept)";
    std::cout << "\n";
  }
}

}  // namespace

int cmd_explain(const std::vector<std::string>& args) {
  PolicyOptions popts;
  std::string file, syscall;
  std::vector<std::string> values;
  po::options_description d("policyc explain FILE.pol SYSCALL [ARG...] [--arch A] [options]");
  d.add_options()("help,h", "this help")("file", po::value(&file)->required(), "policy file")(
      "syscall", po::value(&syscall)->required(), "syscall name")(
      "args", po::value(&values)->composing(),
      "argument values (numbers or constants such as AF_INET)");
  popts.add_to(d);
  if (!parse_command(args, d, {{"file", 1}, {"syscall", 1}, {"args", 6}})) return 0;
  if (values.size() > 6) throw UsageError("a syscall has at most 6 arguments");
  auto arch_list = split_list(popts.arches);
  if (arch_list.size() > 1) throw UsageError("explain takes one --arch");
  DiagnosticEngine diags;
  // The filter is compiled for the policy's whole target, as it would be installed; --arch only
  // picks which ABI the call comes from.
  PolicyOptions compile_opts = popts;
  compile_opts.arches.clear();
  auto policy = load(file, compile_opts, diags);
  if (!policy) return 1;
  std::optional<uint32_t> arch;
  if (!arch_list.empty()) {
    arch = names::arch_token(arch_list[0]);
    if (!arch) throw UsageError("unknown architecture '" + arch_list[0] + "'");
  }
  if (!names::syscall_known(syscall)) {
    auto s = suggest(syscall, names::all_syscall_names());
    throw UsageError("unknown syscall '" + syscall + "'" +
                     (s.empty() ? "" : "; did you mean '" + s[0] + "'?"));
  }
  std::vector<uint64_t> arg_values;
  for (const std::string& v : values) arg_values.push_back(parse_arg_value(v));
  driver::SeccompOptions so = popts.seccomp_options();
  driver::CallExplanation e = driver::explain_call(*policy, so, syscall, arch, arg_values);
  print_explanation(e, syscall, values, so);
  return 0;
}

int cmd_disasm(const std::vector<std::string>& args) {
  std::string file;
  po::options_description d("policyc disasm FILE.bpf");
  d.add_options()("help,h", "this help")("file", po::value(&file)->required(),
                                         "raw seccomp filter");
  if (!parse_command(args, d, {{"file", 1}})) return 0;
  seccomp::Program prog = seccomp::read_program(file);
  std::cout << seccomp::disassemble(prog);
  return 0;
}

int cmd_import(const std::vector<std::string>& args) {
  std::string file, out, caps_list, name, base;
  PolicyOptions popts;
  po::options_description d("policyc import PROFILE [-o OUT.pol] [--caps LIST] [--base POLICY]");
  d.add_options()("help,h", "this help")("file", po::value(&file)->required(),
                                         "Docker/OCI seccomp JSON or AppArmor profile")(
      "output,o", po::value(&out), "write the policy here (default: standard output)")(
      "caps", po::value(&caps_list),
      "capabilities the container keeps, comma-separated (default: Docker's 14)")(
      "name", po::value(&name), "policy name (default: from the file name or profile)")(
      "base", po::value(&base),
      "seccomp JSON: the written policy extends this one (e.g. docker-default) for the "
      "namespaces, mounts, rootfs and process settings a seccomp profile does not have")(
      "include-dir,I", po::value(&popts.include_dirs)->composing(),
      "search DIR for the --base policy when the written policy is checked")(
      "error-limit", po::value(&popts.error_limit),
      "stop printing errors after N of them (default 20; 0: no limit)");
  if (!parse_command(args, d, {{"file", 1}})) return 0;
  importer::ImportOptions io;
  io.file = file;
  io.name = name;
  io.base = base;
  const std::string text = read_input(file);
  const importer::Format format = importer::sniff_format(text);
  if (format == importer::Format::AppArmorProfile && !base.empty())
    throw UsageError(
        "--base applies to a seccomp JSON profile; an AppArmor profile is "
        "imported on its own");
  if (format == importer::Format::SeccompJson && !caps_list.empty()) {
    std::string unknown;
    auto m = caps::mask_of(split_list({caps_list}), &unknown);
    if (!m) throw UsageError("unknown capability '" + unknown + "' in --caps");
    io.capabilities = *m;
  }
  DiagnosticEngine diags;
  diags.set_error_limit(popts.error_limit);
  auto imported = importer::read_profile(text, io, diags);
  diags.print_all(std::cerr);
  if (!imported) return 1;
  if (format == importer::Format::SeccompJson && base.empty())
    std::cerr << "policyc import: note: " << file
              << " is a seccomp profile: the policy has no namespaces, mounts or rootfs settings "
                 "(the container would share the host's pid, network, ipc and uts namespaces); "
                 "use --base docker-default to take them from docker-default.pol\n";
  std::string text_out = importer::policy_text(*imported, io);

  // What import writes must compile: check it with the front end before reporting success.
  DiagnosticEngine check;
  bool compiles = importer::policy_text_compiles(out.empty() ? "<imported policy>" : out, text_out,
                                                 popts.load_options(), check);
  check.print_all(std::cerr);  // warnings, e.g. -Wall-syscalls-refused for an AppArmor profile
  if (!compiles) {
    std::cerr << "policyc import: error: the policy imported from " << file
              << " does not compile (above); nothing was written. Fix the profile, or report the "
                 "importer's mistake\n";
    return 1;
  }
  if (out.empty()) {
    std::cout << text_out;
  } else {
    driver::write_files_atomically({{out, text_out}});
    std::cerr << "wrote " << out << "\n";
  }
  return 0;
}

}  // namespace policy::cli
