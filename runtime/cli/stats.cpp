// `policyrun stats [--no-stream] [--json] [--root DIR] [NAME...]`: CPU %, memory, net and block
// I/O and pids of running containers from their own cgroups, Docker's columns, redrawn every
// second until SIGINT (docs/containers.md "stats").
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/container/command_line.hpp"
#include "runtime/container/inspect.hpp"
#include "runtime/container/stats.hpp"
#include "runtime/container/stats_top.hpp"
#include "runtime/container/store.hpp"

namespace policy::cli {
namespace {

using container::State;
namespace st = container::stats;

// The containers to show: the named ones (each must be running), else every running one.
std::vector<State> targets(container::Store& store, const std::vector<std::string>& names) {
  std::vector<State> out;
  if (names.empty()) {
    for (auto& s : store.list())
      if (container::inspect::is_running(s)) out.push_back(std::move(s));
    return out;
  }
  for (const auto& n : names) {
    State s = store.find(n);
    if (!container::inspect::is_running(s))
      throw Error("stats: container " + n + " is not running (" + container::status_name(s.status) +
                  ")");
    out.push_back(std::move(s));
  }
  return out;
}

volatile sig_atomic_t interrupted = 0;
void on_interrupt(int) {
  interrupted = 1;
}

std::string short_id(const std::string& id) {
  return id.substr(0, 12);
}

}  // namespace

int stats_command(int argc, char** argv) {
  boost::program_options::options_description options("Options");
  options.add_options()("no-stream",
                        "print one sample and exit (else redraw every second until interrupted)")(
      "json", "one JSON array of containers per sample (figures in bytes and Docker's texts)");
  container::CommandLine cl;
  if (auto done = container::parse_command_line(
          argc, argv, "Usage: policyrun stats [OPTIONS] [NAME...]", options, 0, cl))
    return *done;
  const bool stream = !cl.vm.count("no-stream"), json = cl.vm.count("json") > 0;
  const bool redraw = stream && !json && ::isatty(1);
  container::Store store(cl.root);
  std::vector<State> shown = targets(store, cl.names);
  std::map<std::string, st::Sample> before;
  for (const auto& s : shown) before[s.id] = st::sample(s.cgroup_dirs, s.pid);
  if (stream) {
    // SIGINT (^C) and SIGTERM end the stream after the last complete table: exit status 0.
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
  }
  for (;;) {
    for (int tenth = 0; tenth < 10 && !interrupted; ++tenth)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (interrupted) return 0;
    nlohmann::json rows = nlohmann::json::array();
    std::vector<std::vector<std::string>> table = {{"CONTAINER ID", "NAME", "CPU %",
                                                    "MEM USAGE / LIMIT", "MEM %", "NET I/O",
                                                    "BLOCK I/O", "PIDS"}};
    for (const auto& s : shown) {
      if (!container::inspect::is_running(s)) continue;  // it exited meanwhile
      const st::Sample now = st::sample(s.cgroup_dirs, s.pid);
      const st::Sample then = before.count(s.id) ? before[s.id] : now;
      before[s.id] = now;
      auto row = st::row_json(s.id, s.name, then, now);
      table.push_back({short_id(s.id), s.name, row["CPUPerc"], row["MemUsage"], row["MemPerc"],
                       row["NetIO"], row["BlockIO"], row["PIDs"]});
      rows.push_back(std::move(row));
    }
    if (json)
      std::cout << rows.dump() << std::endl;
    else
      std::cout << (redraw ? "\033[2J\033[H" : "") << st::table(table) << std::flush;
    if (!stream) return 0;
    if (cl.names.empty())
      shown = targets(store, cl.names);  // containers that started or exited since
    else if (rows.empty())
      return 0;  // every named container has exited
  }
}

}  // namespace policy::cli
