#include "runtime/container/inspect.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <sstream>

#include "compiler/caps/capability_formats.hpp"
#include "runtime/launch/files.hpp"

namespace policy::container::inspect {
namespace files = launch::files;
using nlohmann::json;

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

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

// "Key:\tvalue" of /proc/PID/status.
std::string status_field(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  return "";
}

json caps_set(uint64_t mask) {
  return {{"hex", caps::status_hex(mask)}, {"names", caps::names(mask)}};
}

}  // namespace

bool is_running(const State& s) {
  return s.status == Status::Running && open_init(s).valid();
}

json namespaces(pid_t pid) {
  json out = json::object();
  const std::string dir = "/proc/" + std::to_string(pid) + "/ns";
  std::vector<std::string> kinds;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') kinds.emplace_back(e->d_name);
    ::closedir(d);
  }
  std::sort(kinds.begin(), kinds.end());
  for (const auto& kind : kinds) {
    struct stat theirs {
    }, ours{};
    if (::stat((dir + "/" + kind).c_str(), &theirs) != 0) continue;
    const bool host = ::stat(("/proc/self/ns/" + kind).c_str(), &ours) == 0 &&
                      ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
    out[kind] = {{"inode", theirs.st_ino}, {"host", host}};
  }
  return out;
}

json cgroups(const std::vector<std::string>& dirs) {
  static const char* const kLimitFiles[] = {"memory.limit_in_bytes",
                                            "memory.memsw.limit_in_bytes",
                                            "memory.max",
                                            "memory.swap.max",
                                            "cpu.shares",
                                            "cpu.cfs_quota_us",
                                            "cpu.cfs_period_us",
                                            "cpu.max",
                                            "cpu.weight",
                                            "pids.max",
                                            "cpuset.cpus",
                                            "cpuset.mems"};
  json out = json::array();
  for (const auto& d : dirs) {
    json limits = json::object();
    for (const char* f : kLimitFiles)
      if (const auto v = files::try_read(d + "/" + f)) limits[f] = trim(*v);
    out.push_back({{"path", d}, {"limits", limits}});
  }
  return out;
}

json confinement(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const std::string status = files::try_read(proc + "/status").value_or("");
  json out;
  if (const auto sets = caps::parse_status(status)) {
    out["Capabilities"] = {{"CapInh", caps_set(sets->inheritable)},
                           {"CapPrm", caps_set(sets->permitted)},
                           {"CapEff", caps_set(sets->effective)},
                           {"CapBnd", caps_set(sets->bounding)},
                           {"CapAmb", caps_set(sets->ambient)}};
  }
  out["NoNewPrivs"] = status_field(status, "NoNewPrivs") == "1";
  static const char* const kModes[] = {"disabled", "strict", "filter"};
  const std::string mode = status_field(status, "Seccomp");
  const int m = mode.empty() ? -1 : std::stoi(mode);
  out["Seccomp"] = m >= 0 && m <= 2 ? json(kModes[m]) : json(nullptr);
  const std::string filters = status_field(status, "Seccomp_filters");  // Linux 5.9+
  out["SeccompFilters"] = filters.empty() ? json(nullptr) : json(std::stoi(filters));
  // attr/apparmor/current (Linux 5.8+, stacked LSMs), else the generic attr/current.
  auto label = files::try_read(proc + "/attr/apparmor/current");
  if (!label) label = files::try_read(proc + "/attr/current");
  out["AppArmor"] = label ? json(trim(*label)) : json(nullptr);
  return out;
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
  j["Cgroups"] = cgroups(running ? s.cgroup_dirs : std::vector<std::string>{});
  j["Labels"] = s.labels;
  if (running) {
    j["Namespaces"] = namespaces(s.pid);
    j.update(confinement(s.pid));
  }
  return j;
}

}  // namespace policy::container::inspect
