// policyrun: run container images under a policy, and keep them running (docs/cli-policyrun.md).
// `policyrun COMMAND ...` dispatches to one of the commands below, Docker's names for Docker's
// operations; `policyrun [OPTIONS] IMAGE [CMD...]` without a command name is the short form of
// `run --rm`.
#include <cstring>
#include <iostream>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/oci/runtime.hpp"

namespace {

struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* summary;
};

int run_long(int argc, char** argv) {
  return policy::cli::run_command(argc, argv, false);
}

const Command kCommands[] = {
    {"run", run_long, "run a command in a new container (-d: in the background)"},
    {"ps", policy::cli::ps_command, "list containers"},
    {"top", policy::cli::top_command, "the processes of a container, as host pids"},
    {"exec", policy::cli::exec_command, "run a command in a running container, under its policy"},
    {"stats", policy::cli::stats_command, "CPU, memory, pids and I/O of running containers"},
    {"update", policy::cli::update_command, "change a running container's resource limits"},
    {"stop", policy::cli::stop_command, "SIGTERM, then SIGKILL after a grace period"},
    {"kill", policy::cli::kill_command, "send a signal to a container's first process"},
    {"rm", policy::cli::rm_command, "remove stopped containers (-f: stop them first)"},
    {"logs", policy::cli::logs_command, "a detached container's output (-f: follow it)"},
    {"wait", policy::cli::wait_command, "wait for containers to exit; print their exit codes"},
    {"inspect", policy::cli::inspect_command,
     "a container's state, confinement and policy, as JSON"},
};

void usage(std::ostream& out) {
  out << "Usage: policyrun COMMAND [OPTIONS] ...\n"
         "       policyrun --policy FILE.pol [OPTIONS] IMAGE [COMMAND [ARG...]]   (run --rm)\n\n"
         "Commands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    out << "  " << name << std::string(10 - name.size(), ' ') << c.summary << "\n";
  }
  out << "\n'policyrun COMMAND --help' shows a command's options.\n"
         "\nOCI runtime (runc's command line, for containerd and Docker; docs/oci-runtime.md):\n"
         "  policyrun [--root DIR] [--log FILE] [--log-format json|text] COMMAND ...\n"
         "  create, start, state, kill, delete, exec, ps, features\n";
}

int dispatch(int argc, char** argv) {
  // containerd's shim and Docker call runc's command line (docs/oci-runtime.md).
  if (policy::oci::is_runtime_command_line(argc, argv))
    return policy::oci::runtime_main(argc, argv);
  if (argc >= 2 && (std::strcmp(argv[1], "help") == 0)) {
    usage(std::cout);
    return 0;
  }
  if (argc >= 2)
    for (const auto& c : kCommands)
      if (std::strcmp(argv[1], c.name) == 0) return c.fn(argc - 1, argv + 1);
  return policy::cli::run_command(argc, argv, true);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const policy::launch::LaunchError& e) {
    std::cerr << "policyrun: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const policy::Error& e) {
    std::cerr << "policyrun: error: " << e.what() << "\n";
    return policy::launch::kExitRuntimeError;
  } catch (const std::exception& e) {
    std::cerr << "policyrun: error: " << e.what() << "\n";
    return policy::launch::kExitRuntimeError;
  }
}
