#include "runtime/container/stats_top.hpp"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "runtime/common/text.hpp"
#include "runtime/launch/files.hpp"

namespace policy::container::stats {
namespace files = launch::files;

namespace {

std::string user_name(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

std::string ps_time(uint64_t ticks) {
  const uint64_t secs = ticks / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
  char buf[32];
  if (secs >= 86400)
    std::snprintf(buf, sizeof buf, "%llu-%02llu:%02llu:%02llu",
                  static_cast<unsigned long long>(secs / 86400),
                  static_cast<unsigned long long>(secs / 3600 % 24),
                  static_cast<unsigned long long>(secs / 60 % 60),
                  static_cast<unsigned long long>(secs % 60));
  else
    std::snprintf(buf, sizeof buf, "%02llu:%02llu:%02llu",
                  static_cast<unsigned long long>(secs / 3600),
                  static_cast<unsigned long long>(secs / 60 % 60),
                  static_cast<unsigned long long>(secs % 60));
  return buf;
}

// One process from /proc/PID; false when it is gone.
bool read_process(pid_t pid, Process& p) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const auto stat = files::try_read(proc + "/stat");
  if (!stat) return false;
  const size_t open = stat->find('('), close = stat->rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= stat->size())
    return false;
  const std::string comm = stat->substr(open + 1, close - open - 1);
  // Fields from 3 (state): ppid is field 4, utime 14, stime 15.
  const auto f = runtime::split(std::string_view(*stat).substr(close + 2), ' ');
  if (f.size() < 13) return false;
  p.pid = pid;
  p.ppid = static_cast<pid_t>(std::stol(f[1]));
  p.cpu_ticks = std::stoull(f[11]) + std::stoull(f[12]);
  p.time = ps_time(p.cpu_ticks);
  std::istringstream status(files::try_read(proc + "/status").value_or(""));
  p.uid = 0;
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Uid:", 0) == 0) {
      std::istringstream ls(line.substr(4));
      uid_t real = 0, effective = 0;
      ls >> real >> effective;
      p.uid = effective;
    }
  p.user = user_name(p.uid);
  std::string cmdline = files::try_read(proc + "/cmdline").value_or("");
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  p.cmd = runtime::printable(cmdline.empty() ? "[" + comm + "]" : cmdline);
  return true;
}

ino_t pid_namespace(pid_t pid) {
  struct stat st {};
  if (::stat(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), &st) != 0) return 0;
  return st.st_ino;
}

}  // namespace

std::vector<Process> processes(const State& s) {
  std::set<pid_t> pids;
  for (const auto& d : s.cgroup_dirs) {
    std::istringstream in(files::try_read(d + "/cgroup.procs").value_or(""));
    for (pid_t p; in >> p;) pids.insert(p);
  }
  if (pids.empty() && starttime(s.pid) == s.pid_starttime && s.pid > 0) {
    // No cgroup of its own (a host without cgroups): every process in the init's pid namespace.
    const ino_t ns = pid_namespace(s.pid);
    if (DIR* d = ::opendir("/proc")) {
      while (const dirent* e = ::readdir(d)) {
        const pid_t p = static_cast<pid_t>(std::atol(e->d_name));
        if (p > 0 && ns != 0 && pid_namespace(p) == ns) pids.insert(p);
      }
      ::closedir(d);
    }
  }
  std::vector<Process> out;
  for (pid_t pid : pids) {
    Process p;
    if (read_process(pid, p)) out.push_back(std::move(p));
  }
  return out;
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(width[i] - r[i].size() + 3, ' ');
    }
    out += "\n";
  }
  return out;
}

}  // namespace policy::container::stats
