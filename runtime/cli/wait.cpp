// `policyrun wait NAME...`: blocks until each container has exited and prints its exit code;
// exits with the last one's.
#include <iostream>

#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/lifecycle.hpp"

namespace policy::cli {

int wait_command(int argc, char** argv) {
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun wait [--root DIR] NAME...",
          boost::program_options::options_description("Options"), 1, cl))
    return *done;
  container::Store store(cl.root);
  int last = 0;
  const int failed = container::for_each_container(cl.names, [&](const std::string& name) {
    container::State s = store.find(name);
    if (s.status != container::Status::Exited) {
      container::wait_supervisor(s, -1);
      try {
        s = store.find(s.id);  // recorded by the supervisor, or reconciled if it died
      } catch (const Error&) {
        throw Error("container " + name + " exited and was removed (--rm): its exit code is gone");
      }
    }
    last = s.exit_code;
    std::cout << s.exit_code << "\n" << std::flush;
  });
  return failed ? failed : last;
}

}  // namespace policy::cli
