// What the container commands' command lines share (ps, stop, kill, rm, logs, wait, ...): each
// command's own options plus --root and --help, and the containers it names (positional), with
// Boost.Program_options. Header-only: only the policyrun program (which links the library) uses it.
#pragma once

#include <boost/program_options.hpp>

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "runtime/launch/launch.hpp"

namespace policy::container {

struct CommandLine {
  std::string root = "/var/lib/policyrun";
  std::vector<std::string> names;
  boost::program_options::variables_map vm;
};

// Parses argv (argv[0]: the command's name) with the command's `options`; returns an exit status
// when the command is done: 0 after --help, 125 on a usage error (printed with `usage`), or
// when fewer than `min_names` containers are named.
inline std::optional<int> parse_command_line(int argc, char** argv, const std::string& usage,
                                             boost::program_options::options_description options,
                                             size_t min_names, CommandLine& cl) {
  namespace po = boost::program_options;
  options.add_options()("root", po::value(&cl.root),
                        "where policyrun keeps its state (default /var/lib/policyrun)")(
      "help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("name", po::value(&cl.names));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("name", -1);
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), cl.vm);
    po::notify(cl.vm);
  } catch (const po::error& e) {
    std::cerr << "policyrun: error: " << e.what() << "\n" << usage << "\n" << options;
    return launch::kExitRuntimeError;
  }
  if (cl.vm.count("help")) {
    std::cout << usage << "\n" << options;
    return 0;
  }
  if (cl.names.size() < min_names) {
    std::cerr << "policyrun: error: " << argv[0] << " needs "
              << (min_names == 1 ? "a container's name or id" : "more arguments") << "\n"
              << usage << "\n"
              << options;
    return launch::kExitRuntimeError;
  }
  return std::nullopt;
}

// Runs `op` for each named container; a failure for one is reported ("policyrun: error: ...") and
// the others go on, as Docker's commands do. Returns 1 when any failed, else 0.
inline int for_each_container(const std::vector<std::string>& names,
                              const std::function<void(const std::string&)>& op) {
  int status = 0;
  for (const auto& n : names) {
    try {
      op(n);
    } catch (const std::exception& e) {
      std::cout.flush();
      std::cerr << "policyrun: error: " << e.what() << "\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace policy::container
