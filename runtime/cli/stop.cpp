// `policyrun stop [-t SECONDS] NAME...`: SIGTERM to the container's first process, SIGKILL to
// everything in its cgroups after the grace; returns once its supervisor has recorded the exit.
#include <signal.h>

#include <iostream>

#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/lifecycle.hpp"

namespace policy::cli {

int stop_command(int argc, char** argv) {
  namespace po = boost::program_options;
  unsigned seconds = 10;
  po::options_description opts("Options");
  opts.add_options()("time,t", po::value(&seconds),
                     "seconds to wait after SIGTERM before SIGKILL (default 10)");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun stop [-t SECONDS] [--root DIR] NAME...", opts, 1, cl))
    return *done;
  container::Store store(cl.root);
  return container::for_each_container(cl.names, [&](const std::string& name) {
    const container::State s = store.find(name);
    if (s.status == container::Status::Running) {
      if (!container::signal_init(s, SIGTERM) ||
          !container::wait_init(s, static_cast<int>(seconds) * 1000))
        container::kill_all(s);
      container::wait_supervisor(s, -1);
    }
    std::cout << name << "\n";
  });
}

}  // namespace policy::cli
