#include "runtime/container/inspect.hpp"

#include <ctime>

#include "compiler/common/error.hpp"
#include "compiler/inspect/report.hpp"

namespace policy::container::inspect {
using nlohmann::json;

namespace {

// RFC 3339 with nanoseconds in UTC, as Docker prints times; "0001-01-01T00:00:00Z" for none.
std::string rfc3339(int64_t ns) {
  if (ns <= 0) return "0001-01-01T00:00:00Z";
  const time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm {};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns % 1000000000));
  return buf;
}

}  // namespace

bool is_running(const State& s) {
  return s.status == Status::Running && open_init(s).valid();
}

json container(const State& s, bool running) {
  json j;
  j["Id"] = s.id;
  j["Name"] = s.name;
  j["Created"] = rfc3339(s.created_ns);
  j["Image"] = s.image;
  j["Path"] = s.command.empty() ? "" : s.command[0];
  j["Args"] = s.command.size() > 1
                  ? std::vector<std::string>(s.command.begin() + 1, s.command.end())
                  : std::vector<std::string>{};
  j["State"] = {{"Status", status_name(s.status)},
                {"Running", running},
                {"Pid", running ? s.pid : 0},
                {"ExitCode", s.exit_code < 0 ? 0 : s.exit_code},
                {"Note", s.exit_note},
                {"StartedAt", rfc3339(s.started_ns)},
                {"FinishedAt", rfc3339(s.finished_ns)}};
  j["Config"] = {{"Cmd", s.command}, {"Env", s.env}, {"User", s.user}, {"WorkingDir", s.cwd}};
  j["Policy"] = {{"File", s.policy_file}, {"Name", s.policy_name}, {"Sha256", s.policy_sha256}};
  json ports = json::array();
  for (const auto& p : s.ports)
    ports.push_back({{"HostIp", p.host_ip},
                     {"HostPort", p.host},
                     {"ContainerPort", p.container},
                     {"Protocol", p.proto}});
  j["NetworkSettings"] = {{"Network", s.network}, {"Ports", ports}};
  j["Cgroups"] =
      policy::inspect::cgroup_dirs_json(running ? s.cgroup_dirs : std::vector<std::string>{});
  j["Labels"] = s.labels;
  if (running) {
    try {
      const policy::inspect::ProcessFacts facts = policy::inspect::read_process(s.pid);
      j["Namespaces"] = policy::inspect::namespaces_json(facts.namespaces);
      j.update(policy::inspect::confinement_json(facts));
    } catch (const Error&) {
      // The init exited after is_running said it ran: nothing of its /proc is left to show.
    }
  }
  return j;
}

}  // namespace policy::container::inspect
