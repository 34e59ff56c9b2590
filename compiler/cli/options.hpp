// What the policyc commands share: the options of every command that reads a policy, argument
// parsing with Boost.Program_options, loading a policy with its diagnostics, reading an input.
#pragma once

#include <boost/program_options.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/common/diagnostics.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::cli {

// "a,b", "c" -> {"a", "b", "c"}
std::vector<std::string> split_list(const std::vector<std::string>& items);

// Options every command that reads a policy shares.
struct PolicyOptions {
  std::vector<std::string> include_dirs;
  std::string policy_name;
  std::vector<std::string> arches;
  std::string kernel;
  std::vector<std::string> warnings;  // -Wno-NAME, -Werror
  std::string backend = "default";
  unsigned error_limit = kDefaultErrorLimit;

  void add_to(boost::program_options::options_description& d);
  frontend::LoadOptions load_options() const;
  std::optional<ir::KernelVersion> kernel_version() const;
  driver::SeccompOptions seccomp_options() const;
  void configure(DiagnosticEngine& diags) const;
};

// Parses a command's arguments, the positional ones named in order (with how many each takes).
// false, after printing the help, when they ask for --help or -h.
bool parse_command(const std::vector<std::string>& args,
                   const boost::program_options::options_description& d,
                   std::initializer_list<std::pair<const char*, int>> positionals);

// Loads a policy, printing diagnostics; nullopt (after printing) when it has errors.
std::optional<ir::Policy> load(const std::string& file, const PolicyOptions& opts,
                               DiagnosticEngine& diags);

// The whole of an input file; throws policy::Error naming it when it cannot be read.
std::string read_input(const std::string& file);

}  // namespace policy::cli
