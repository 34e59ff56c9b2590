// `policyrun ps [-a] [-q] [--json]`: the containers of --root, as `docker ps` lists them
// (docs/cli-policyrun.md). Listing reconciles containers whose supervisor died (Store::list).
#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>

#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/lifecycle.hpp"
#include "runtime/container/store.hpp"

namespace policy::cli {
namespace {

namespace po = boost::program_options;
using container::State;

std::string command_text(const State& s) {
  std::string out;
  for (const auto& a : s.command) out += (out.empty() ? "" : " ") + a;
  if (out.size() > 30) out = out.substr(0, 27) + "...";
  return "\"" + out + "\"";
}

void print_table(const std::vector<State>& all) {
  const int64_t now = container::realtime_ns();
  std::vector<std::vector<std::string>> rows = {
      {"CONTAINER ID", "NAME", "IMAGE", "COMMAND", "STATUS", "PID", "POLICY"}};
  for (const auto& s : all)
    rows.push_back(
        {s.id.substr(0, 12), s.name, s.image, command_text(s), container::status_text(s, now),
         s.status == container::Status::Running ? std::to_string(s.pid) : "-", s.policy_name});
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += i + 1 < r.size() ? r[i] + std::string(width[i] - r[i].size() + 3, ' ') : r[i];
    std::cout << line << "\n";
  }
}

}  // namespace

int ps_command(int argc, char** argv) {
  po::options_description opts("Options");
  opts.add_options()("all,a", "also the containers that are not running")(
      "quiet,q", "only the ids")("json", "the containers' states as a JSON array");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun ps [-a] [-q] [--json] [--root DIR]", opts, 0, cl))
    return *done;
  if (!cl.names.empty()) throw Error("ps takes no container names (got '" + cl.names[0] + "')");
  container::Store store(cl.root);
  std::vector<State> shown;
  for (auto& s : store.list())
    if (cl.vm.count("all") || s.status == container::Status::Running) shown.push_back(s);
  if (cl.vm.count("json")) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : shown) out.push_back(nlohmann::json::parse(container::to_json(s)));
    std::cout << out.dump(2) << "\n";
  } else if (cl.vm.count("quiet")) {
    for (const auto& s : shown) std::cout << s.id << "\n";
  } else {
    print_table(shown);
  }
  return 0;
}

}  // namespace policy::cli
