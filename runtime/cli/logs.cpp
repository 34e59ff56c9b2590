// `policyrun logs [-f] [--tail N] NAME`: a detached container's output, from its log
// (runtime/container/log.hpp): its stdout lines on stdout, its stderr lines on stderr.
#include <unistd.h>

#include <iostream>

#include "runtime/cli/commands.hpp"
#include "runtime/common/host.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/log.hpp"
#include "runtime/container/store.hpp"

namespace policy::cli {

int logs_command(int argc, char** argv) {
  namespace po = boost::program_options;
  long tail = -1;
  po::options_description opts("Options");
  opts.add_options()("follow,f", "keep printing what the container writes until it exits")(
      "tail,n", po::value(&tail), "only the last N lines (default: all)");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun logs [-f] [--tail N] [--root DIR] NAME", opts, 1, cl))
    return *done;
  if (cl.names.size() > 1) throw Error("logs takes one container (got " + cl.names[1] + " too)");
  container::Store store(cl.root);
  const container::State s = store.find(cl.names[0]);
  if (!s.detached)
    throw Error("container " + cl.names[0] +
                " ran in the foreground: its output went to the terminal that started it and "
                "policyrun kept no log (run -d keeps one)");
  container::log::read(
      store.dir(s.id), tail, cl.vm.count("follow") > 0,
      [&] { return container::supervisor_alive(s); },
      [](const container::log::Entry& e) {
        runtime::write_fd(e.stream == container::log::Stream::Stdout ? 1 : 2, e.text,
                          "write the log");
      });
  return 0;
}

}  // namespace policy::cli
