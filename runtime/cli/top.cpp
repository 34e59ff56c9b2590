// `policyrun top NAME [--json] [--root DIR]`: a running container's processes as host pids, with
// their parent, user, CPU time and command line, like `docker top` (docs/containers.md "top").
#include <boost/program_options.hpp>

#include <iostream>
#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/container/inspect.hpp"
#include "runtime/container/stats_top.hpp"
#include "runtime/container/store.hpp"

namespace po = boost::program_options;

namespace policy::cli {

int top_command(int argc, char** argv) {
  std::string root = "/var/lib/policyrun", name;
  po::options_description desc("Options");
  desc.add_options()("help,h", "show this help")("json", "a JSON array of processes")(
      "root", po::value(&root), "policyrun's state directory (default /var/lib/policyrun)")(
      "name", po::value(&name), "the container");
  po::positional_options_description pos;
  pos.add("name", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") || name.empty()) {
    std::cout << "Usage: policyrun top [OPTIONS] NAME\n\n" << desc;
    return name.empty() && !vm.count("help") ? 1 : 0;
  }
  const container::State s = container::Store(root).find(name);
  if (!container::inspect::is_running(s))
    throw Error("top: container " + name + " is not running (" + container::status_name(s.status) +
                ")");
  const auto procs = container::stats::processes(s);
  if (vm.count("json")) {
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
