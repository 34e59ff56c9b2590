// `policyrun top NAME [--json] [--root DIR]`: a running container's processes as host pids, with
// their parent, user, CPU time and command line, like `docker top` (docs/containers.md "top").
#include <iostream>
#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/inspect.hpp"
#include "runtime/container/stats_top.hpp"
#include "runtime/container/store.hpp"

namespace policy::cli {

int top_command(int argc, char** argv) {
  boost::program_options::options_description options("Options");
  options.add_options()("json", "a JSON array of processes");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(argc, argv, "Usage: policyrun top [OPTIONS] NAME",
                                                options, 1, cl))
    return *done;
  if (cl.names.size() > 1) throw Error("top: name one container (ps options are not taken)");
  const std::string& name = cl.names[0];
  const container::State s = container::Store(cl.root).find(name);
  if (!container::inspect::is_running(s))
    throw Error("top: container " + name + " is not running (" + container::status_name(s.status) +
                ")");
  const auto procs = container::stats::processes(s);
  if (cl.vm.count("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : procs)
      out.push_back({{"pid", p.pid},
                     {"ppid", p.ppid},
                     {"uid", p.uid},
                     {"user", p.user},
                     {"time", p.time},
                     {"cmd", p.cmd}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {{"PID", "PPID", "USER", "TIME", "CMD"}};
  for (const auto& p : procs)
    rows.push_back({std::to_string(p.pid), std::to_string(p.ppid), p.user, p.time, p.cmd});
  std::cout << container::stats::table(rows);
  return 0;
}

}  // namespace policy::cli
