#include "runtime/container/stats.hpp"

#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "runtime/common/text.hpp"
#include "runtime/launch/files.hpp"

namespace policy::container::stats {
namespace files = launch::files;

namespace {

// The first of `dirs` that has `file`, or "".
std::string find_file(const std::vector<std::string>& dirs, const std::string& file) {
  for (const auto& d : dirs)
    if (files::exists(d + "/" + file)) return d + "/" + file;
  return "";
}

std::optional<uint64_t> read_number(const std::string& path) {
  if (path.empty()) return std::nullopt;
  const auto text = files::try_read(path);
  if (!text) return std::nullopt;
  try {
    return std::stoull(*text);
  } catch (const std::exception&) {  // "max" (v2's unlimited): no number
    return std::nullopt;
  }
}

// "key value" lines (memory.stat, cpu.stat).
std::optional<uint64_t> read_key(const std::string& path, const std::string& key) {
  if (path.empty()) return std::nullopt;
  std::istringstream in(files::try_read(path).value_or(""));
  for (std::string k, v; in >> k >> v;)
    if (k == key) return std::stoull(v);
  return std::nullopt;
}

uint64_t host_memory() {
  struct sysinfo si {};
  ::sysinfo(&si);
  return static_cast<uint64_t>(si.totalram) * si.mem_unit;
}

// The host's CPU time in ns: the sum of /proc/stat's "cpu" line (USER_HZ ticks), as Docker's
// getSystemCPUUsage.
uint64_t system_cpu_ns() {
  std::istringstream in(files::try_read("/proc/stat").value_or(""));
  std::string label;
  in >> label;
  uint64_t ticks = 0;
  for (uint64_t v; in.peek() != '\n' && in >> v;) ticks += v;
  return ticks * (1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)));
}

void read_memory(const std::vector<std::string>& dirs, Sample& s) {
  const std::string v1 = find_file(dirs, "memory.usage_in_bytes");
  const std::string dir = v1.empty() ? find_file(dirs, "memory.current") : v1;
  if (dir.empty()) return;
  const std::string base = dir.substr(0, dir.rfind('/'));
  const auto usage = read_number(dir);
  if (!usage) return;
  const auto inactive =
      read_key(base + "/memory.stat", v1.empty() ? "inactive_file" : "total_inactive_file");
  s.has_memory = true;
  s.memory_usage = inactive && *inactive < *usage ? *usage - *inactive : *usage;
  // v1 says "unlimited" with the largest page-aligned counter, v2 with "max".
  const auto limit = read_number(base + (v1.empty() ? "/memory.max" : "/memory.limit_in_bytes"));
  const uint64_t ram = host_memory();
  s.memory_limited = limit && *limit < ram;
  s.memory_limit = s.memory_limited ? *limit : ram;
}

void read_blkio(const std::vector<std::string>& dirs, Sample& s) {
  std::string v1 = find_file(dirs, "blkio.throttle.io_service_bytes_recursive");
  if (v1.empty()) v1 = find_file(dirs, "blkio.throttle.io_service_bytes");
  if (!v1.empty()) {
    std::istringstream in(files::try_read(v1).value_or(""));
    for (std::string line; std::getline(in, line);) {
      std::istringstream ls(line);
      std::string dev, op;
      uint64_t n = 0;
      if (!(ls >> dev >> op >> n)) continue;  // "Total N"
      if (op == "Read") s.block_read += n;
      if (op == "Write") s.block_write += n;
    }
    return;
  }
  const std::string v2 = find_file(dirs, "io.stat");
  std::istringstream in(v2.empty() ? "" : files::try_read(v2).value_or(""));
  for (std::string word; in >> word;) {
    if (word.rfind("rbytes=", 0) == 0) s.block_read += std::stoull(word.substr(7));
    if (word.rfind("wbytes=", 0) == 0) s.block_write += std::stoull(word.substr(7));
  }
}

void read_net(pid_t pid, Sample& s) {
  if (pid <= 0) return;
  struct stat ours {
  }, theirs{};
  const std::string proc = "/proc/" + std::to_string(pid);
  if (::stat((proc + "/ns/net").c_str(), &theirs) != 0) return;
  s.has_net = true;
  if (::stat("/proc/self/ns/net", &ours) == 0 && ours.st_ino == theirs.st_ino &&
      ours.st_dev == theirs.st_dev) {
    s.net_shared = true;
    return;
  }
  std::istringstream in(files::try_read(proc + "/net/dev").value_or(""));
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream ls(line.substr(colon + 1));
    uint64_t v[9] = {};
    for (auto& x : v) ls >> x;
    s.net_rx += v[0];  // receive bytes
    s.net_tx += v[8];  // transmit bytes
  }
}

std::string size_text(double v, double unit, const char* const* names) {
  int i = 0;
  while (v >= unit && names[i + 1] != nullptr) {
    v /= unit;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%s", v, names[i]);
  return buf;
}

}  // namespace

Sample sample(const std::vector<std::string>& cgroup_dirs, pid_t pid) {
  Sample s;
  s.system_cpu_ns = system_cpu_ns();
  s.online_cpus = static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN));
  if (const auto ns = read_number(find_file(cgroup_dirs, "cpuacct.usage"))) {
    s.cpu_ns = *ns;
    s.has_cpu = true;
  } else {
    // cpu.stat of a v1 cpu directory has no usage_usec: look for the one that has.
    for (const auto& d : cgroup_dirs)
      if (const auto us = read_key(d + "/cpu.stat", "usage_usec")) {
        s.cpu_ns = *us * 1000;
        s.has_cpu = true;
        break;
      }
  }
  read_memory(cgroup_dirs, s);
  if (const auto n = read_number(find_file(cgroup_dirs, "pids.current"))) s.pids = *n;
  s.pids_limit = read_number(find_file(cgroup_dirs, "pids.max"));
  read_blkio(cgroup_dirs, s);
  read_net(pid, s);
  return s;
}

double cpu_percent(const Sample& before, const Sample& after) {
  if (!before.has_cpu || !after.has_cpu || after.cpu_ns < before.cpu_ns) return 0;
  const double cpu = static_cast<double>(after.cpu_ns - before.cpu_ns);
  const double system = static_cast<double>(after.system_cpu_ns - before.system_cpu_ns);
  if (system <= 0) return 0;
  return cpu / system * after.online_cpus * 100.0;
}

double memory_percent(const Sample& s) {
  if (!s.has_memory || s.memory_limit == 0) return 0;
  return static_cast<double>(s.memory_usage) / static_cast<double>(s.memory_limit) * 100.0;
}

std::string binary_size(uint64_t bytes) {
  static const char* const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", nullptr};
  return size_text(static_cast<double>(bytes), 1024, names);
}

std::string decimal_size(uint64_t bytes) {
  static const char* const names[] = {"B", "kB", "MB", "GB", "TB", "PB", nullptr};
  return size_text(static_cast<double>(bytes), 1000, names);
}

nlohmann::json row_json(const std::string& id, const std::string& name, const Sample& before,
                        const Sample& after) {
  char pct[32];
  nlohmann::json j;
  j["id"] = id;
  j["name"] = name;
  const double cpu = cpu_percent(before, after);
  std::snprintf(pct, sizeof pct, "%.2f%%", cpu);
  j["cpu_percent"] = cpu;
  j["cpu_ns"] = after.cpu_ns;
  j["CPUPerc"] = pct;
  j["memory"] = {{"usage", after.memory_usage},
                 {"limit", after.memory_limit},
                 {"limited", after.memory_limited}};
  j["MemUsage"] = after.has_memory
                      ? binary_size(after.memory_usage) + " / " + binary_size(after.memory_limit)
                      : "--";
  std::snprintf(pct, sizeof pct, "%.2f%%", memory_percent(after));
  j["memory_percent"] = memory_percent(after);
  j["MemPerc"] = after.has_memory ? pct : "--";
  j["net"] = {{"rx", after.net_rx}, {"tx", after.net_tx}, {"host_network", after.net_shared}};
  j["NetIO"] = decimal_size(after.net_rx) + " / " + decimal_size(after.net_tx);
  j["block"] = {{"read", after.block_read}, {"write", after.block_write}};
  j["BlockIO"] = decimal_size(after.block_read) + " / " + decimal_size(after.block_write);
  j["pids"] = {{"current", after.pids}};
  if (after.pids_limit) j["pids"]["limit"] = *after.pids_limit;
  j["PIDs"] = std::to_string(after.pids);
  return j;
}

}  // namespace policy::container::stats
