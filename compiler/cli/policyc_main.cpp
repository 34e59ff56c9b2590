// policyc: compile, check, explain and import security policies (docs/cli.md).
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "compiler/cli/commands.hpp"
#include "compiler/common/error.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "usage: policyc <command> [options]\n"
    "\n"
    "commands:\n"
    "  compile FILE.pol [-o DIR] [--emit LIST] [--arch LIST]   compile a policy into its "
    "artifacts\n"
    "  check FILE.pol                                          report diagnostics only\n"
    "  explain FILE.pol SYSCALL [ARG...] [--arch A]            the action the compiled filter "
    "takes\n"
    "  disasm FILE.bpf                                         list a compiled seccomp filter\n"
    "  import PROFILE [-o OUT.pol] [--caps LIST]               Docker/OCI seccomp JSON or "
    "AppArmor\n"
    "                                                          profile to a readable policy\n"
    "  audit TARGET [--format F]                               findings, exposure score, Pod "
    "Security\n"
    "                                                          level of a policy, profile or "
    "pid:N\n"
    "  diff OLD NEW [--format F] [--fail-on widen]             the privilege delta between two "
    "policies\n"
    "  inspect PID [--against FILE.pol] [--format F]           what confines a running process\n"
    "  caps decode HEX | caps encode NAMES                     capability masks, as capsh --decode\n"
    "\n"
    "run 'policyc <command> --help' for the options of a command; docs/cli.md has the details.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  try {
    if (command == "compile") return policy::cli::cmd_compile(args);
    if (command == "check") return policy::cli::cmd_check(args);
    if (command == "explain") return policy::cli::cmd_explain(args);
    if (command == "disasm") return policy::cli::cmd_disasm(args);
    if (command == "import") return policy::cli::cmd_import(args);
    if (command == "audit") return policy::cli::cmd_audit(args);
    if (command == "diff") return policy::cli::cmd_diff(args);
    if (command == "inspect") return policy::cli::cmd_inspect(args);
    if (command == "caps") return policy::cli::cmd_caps(args);
    std::cerr << "policyc: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
  } catch (const po::error& e) {
    std::cerr << "policyc " << command << ": " << e.what() << "\n(see 'policyc " << command
              << " --help')\n";
    return 2;
  } catch (const policy::cli::UsageError& e) {
    std::cerr << "policyc " << command << ": " << e.what() << "\n(see 'policyc " << command
              << " --help')\n";
    return 2;
  } catch (const policy::Error& e) {
    std::cerr << "policyc: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "policyc: internal error: " << e.what() << "\n";
    return 1;
  }
}
