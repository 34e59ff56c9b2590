// The subcommands of policyc. Each takes the arguments after the command name and returns the
// exit status: 0 success, 1 errors in the input (diagnostics, unreadable or invalid files),
// 2 a bad command line (thrown as UsageError or boost::program_options::error).
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace policy::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int cmd_compile(const std::vector<std::string>& args);
int cmd_check(const std::vector<std::string>& args);
int cmd_explain(const std::vector<std::string>& args);
int cmd_disasm(const std::vector<std::string>& args);
int cmd_import(const std::vector<std::string>& args);
// Review tools (docs/audit.md, docs/review.md): one file each, audit_cmd.cpp, diff_cmd.cpp,
// inspect_cmd.cpp, caps_cmd.cpp.
int cmd_audit(const std::vector<std::string>& args);
int cmd_diff(const std::vector<std::string>& args);
int cmd_inspect(const std::vector<std::string>& args);
int cmd_caps(const std::vector<std::string>& args);

}  // namespace policy::cli
