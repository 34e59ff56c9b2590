// `policyrun inspect NAME... [--format json] [--root DIR]`: a JSON array with one object per
// container, like `docker inspect`, plus its namespaces, cgroup limits, capability sets, seccomp,
// AppArmor label and policy (docs/containers.md "inspect").
#include <boost/program_options.hpp>

#include <iostream>
#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/container/inspect.hpp"
#include "runtime/container/store.hpp"

namespace po = boost::program_options;

namespace policy::cli {

int inspect_command(int argc, char** argv) {
  std::string root = "/var/lib/policyrun", format = "json";
  std::vector<std::string> names;
  po::options_description desc("Options");
  desc.add_options()("help,h", "show this help")("format,f", po::value(&format),
                                                 "json (the only format)")(
      "root", po::value(&root), "policyrun's state directory (default /var/lib/policyrun)")(
      "name", po::value(&names), "containers");
  po::positional_options_description pos;
  pos.add("name", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help") || names.empty()) {
    std::cout << "Usage: policyrun inspect [OPTIONS] NAME...\n\n" << desc;
    return names.empty() && !vm.count("help") ? 1 : 0;
  }
  if (format != "json")
    throw Error("inspect: --format " + format + " is not known; the only format is json");
  container::Store store(root);
  std::vector<container::State> found;  // every name resolved first: all or nothing is printed
  for (const auto& n : names) found.push_back(store.find(n));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : found)
    out.push_back(container::inspect::container(s, container::inspect::is_running(s)));
  std::cout << out.dump(4) << "\n";
  return 0;
}

}  // namespace policy::cli
