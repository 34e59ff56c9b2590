// `policyrun update [--memory B] [--memory-swap B] [--cpus F] [--cpu-shares N] [--pids-limit N]
// [--root DIR] NAME...`: changes running containers' limits in their own cgroups, as `docker
// update` does, and prints each value the kernel kept (docs/containers.md "update").
#include <iostream>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/inspect.hpp"
#include "runtime/container/store.hpp"
#include "runtime/container/update.hpp"

namespace policy::cli {

int update_command(int argc, char** argv) {
  namespace po = boost::program_options;
  std::string memory, memory_swap;
  double cpus = 0;
  uint64_t shares = 0;
  int64_t pids = 0;
  po::options_description options("Options");
  options.add_options()("memory,m", po::value(&memory),
                        "memory limit: bytes or 64m, 1g (binary units), -1 unlimited")(
      "memory-swap", po::value(&memory_swap), "memory plus swap, same units; -1 unlimited")(
      "cpus", po::value(&cpus), "CPUs the container may use (a quota over 100 ms); 0: no limit")(
      "cpu-shares", po::value(&shares), "relative CPU weight (v1 cpu.shares; v2 cpu.weight)")(
      "pids-limit", po::value(&pids), "most processes and threads at once; 0 or -1: unlimited");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun update [OPTIONS] NAME...", options, 1, cl))
    return *done;
  container::update::Limits limits;
  if (cl.vm.count("memory")) limits.memory = container::update::parse_bytes(memory, "--memory");
  if (cl.vm.count("memory-swap"))
    limits.memory_swap = container::update::parse_bytes(memory_swap, "--memory-swap");
  if (cl.vm.count("cpus")) limits.cpus = cpus;
  if (cl.vm.count("cpu-shares")) limits.cpu_shares = shares;
  if (cl.vm.count("pids-limit")) limits.pids = pids;
  if (limits.empty())
    throw Error(
        "update: say what to change (--memory, --memory-swap, --cpus, --cpu-shares, "
        "--pids-limit)");
  container::Store store(cl.root);
  std::vector<container::State> found;  // every name resolved first: a typo changes nothing
  for (const auto& n : cl.names) {
    found.push_back(store.find(n));
    if (!container::inspect::is_running(found.back()))
      throw Error("update: container " + n + " is not running (" +
                  container::status_name(found.back().status) +
                  "); only a running container's limits can be changed");
  }
  for (auto& s : found) {
    const auto applied = container::update::apply(s.cgroup_dirs, limits);
    std::cout << s.name << "\n";
    // Read again just before saving: the supervisor may have recorded something meanwhile.
    container::State fresh = store.find(s.id);
    for (const auto& a : applied) {
      std::cout << "  " << a.file << " " << a.value << "\n";
      // What inspect shows of the container once it has exited (its cgroups are gone).
      fresh.labels["update:" + a.file.substr(a.file.rfind('/') + 1)] = a.value;
    }
    store.save(fresh);
  }
  return 0;
}

}  // namespace policy::cli
