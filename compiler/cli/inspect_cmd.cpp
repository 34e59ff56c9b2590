// `policyc inspect PID [--format text|json] [--disasm] [--against FILE.pol [options]]`: what
// confines a running process, read from the kernel (docs/inspect.md). Exit 0; with --against,
// 0 when the process is confined as the policy says, 3 on any drift; 1 on errors.
#include <iostream>

#include "compiler/cli/commands.hpp"
#include "compiler/cli/options.hpp"
#include "compiler/common/error.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/inspect/against.hpp"
#include "compiler/inspect/process.hpp"
#include "compiler/inspect/report.hpp"

namespace policy::cli {

namespace po = boost::program_options;

int cmd_inspect(const std::vector<std::string>& args) {
  PolicyOptions popts;
  std::string pid_text, format = "text", against;
  po::options_description d(
      "policyc inspect PID [--format text|json] [--disasm] [--against FILE.pol [options]]");
  d.add_options()("help,h", "this help")("pid", po::value(&pid_text)->required(),
                                         "the process to inspect")("format", po::value(&format),
                                                                   "text (default) or json")(
      "disasm", "also list each seccomp filter's instructions")(
      "against", po::value(&against),
      "compare with this policy; exit 3 when the process differs from it");
  popts.add_to(d);
  if (!parse_command(args, d, {{"pid", 1}})) return 0;
  if (format != "text" && format != "json")
    throw UsageError("--format " + format + " is not known; use text or json");
  const bool disasm = std::find(args.begin(), args.end(), "--disasm") != args.end();
  size_t used = 0;
  long pid = 0;
  try {
    pid = std::stol(pid_text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != pid_text.size() || pid <= 0)
    throw UsageError("inspect: '" + pid_text + "' is not a process id (a positive number)");

  std::optional<ir::Policy> policy;
  seccomp::Program compiled;
  if (!against.empty()) {
    DiagnosticEngine diags;
    policy = load(against, popts, diags);
    if (!policy) return 1;
    compiled = driver::compile_seccomp(policy->seccomp, popts.seccomp_options());
  }
  const inspect::ProcessFacts facts = inspect::read_process(static_cast<pid_t>(pid));
  inspect::ReportOptions ro;
  ro.disassembly = disasm;
  inspect::Comparison result;
  if (policy) result = inspect::compare(facts, *policy, compiled, against);
  if (format == "json") {
    nlohmann::json j = inspect::to_json(facts, ro);
    if (policy) {
      j["Drift"] = inspect::drift_json(result);
      j["DriftNotes"] = result.notes;
    }
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << inspect::render_text(facts, ro);
    if (policy) std::cout << "\n" << inspect::render_drift_text(result, facts.subject(), against);
  }
  return result.drift.empty() ? 0 : 3;
}

}  // namespace policy::cli
