// `policyrun kill [-s SIGNAL] NAME...`: a signal (default KILL) to the container's first process.
#include <iostream>

#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/lifecycle.hpp"

namespace policy::cli {

int kill_command(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string signal = "KILL";
  po::options_description opts("Options");
  opts.add_options()("signal,s", po::value(&signal),
                     "the signal: a name (TERM, SIGTERM) or a number (default KILL)");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun kill [-s SIGNAL] [--root DIR] NAME...", opts, 1, cl))
    return *done;
  const int sig = container::signal_number(signal);
  container::Store store(cl.root);
  return container::for_each_container(cl.names, [&](const std::string& name) {
    const container::State s = store.find(name);
    if (s.status != container::Status::Running || !container::signal_init(s, sig))
      throw Error("container " + name + " is not running");
    std::cout << name << "\n";
  });
}

}  // namespace policy::cli
