// `policyrun inspect NAME... [--format json] [--root DIR]`: a JSON array with one object per
// container, like `docker inspect`, plus what confines its init, read by compiler/inspect as
// `policyc inspect PID` reads it: namespaces, cgroup limits and usage, capability sets, seccomp
// filters decompiled, AppArmor label and policy (docs/containers.md "inspect").
#include <iostream>
#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/inspect.hpp"
#include "runtime/container/store.hpp"

namespace policy::cli {

int inspect_command(int argc, char** argv) {
  std::string format = "json";
  boost::program_options::options_description options("Options");
  options.add_options()("format,f", boost::program_options::value(&format),
                        "json (the only format)");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun inspect [OPTIONS] NAME...", options, 1, cl))
    return *done;
  if (format != "json")
    throw Error("inspect: --format " + format + " is not known; the only format is json");
  container::Store store(cl.root);
  std::vector<container::State> found;  // every name resolved first: all or nothing is printed
  for (const auto& n : cl.names) found.push_back(store.find(n));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : found)
    out.push_back(container::inspect::container(s, container::inspect::is_running(s)));
  std::cout << out.dump(4) << "\n";
  return 0;
}

}  // namespace policy::cli
