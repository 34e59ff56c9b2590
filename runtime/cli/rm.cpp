// `policyrun rm [-f] NAME...`: removes containers that are not running (-f: kills them first).
#include <iostream>

#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/lifecycle.hpp"

namespace policy::cli {

int rm_command(int argc, char** argv) {
  namespace po = boost::program_options;
  po::options_description opts("Options");
  opts.add_options()("force,f", "kill a running container (SIGKILL), then remove it");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun rm [-f] [--root DIR] NAME...", opts, 1, cl))
    return *done;
  container::Store store(cl.root);
  return container::for_each_container(cl.names, [&](const std::string& name) {
    const container::State s = store.find(name);
    if (s.status == container::Status::Running) {
      if (!cl.vm.count("force"))
        throw Error("container " + name + " is running: stop it first (policyrun stop " + name +
                    ") or use -f");
      container::kill_all(s);
      container::wait_supervisor(s, -1);
    }
    store.remove(s.id);
    std::cout << name << "\n";
  });
}

}  // namespace policy::cli
