#include "runtime/container/update.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "compiler/common/error.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/files.hpp"

namespace policy::container::update {
namespace files = launch::files;

int64_t parse_bytes(const std::string& text, const std::string& option) {
  if (text == "-1") return -1;
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double number = std::strtod(s, &end);
  uint64_t unit = 1;
  std::string suffix(end);
  if (!suffix.empty() && suffix[0] == ' ') suffix.erase(0, 1);
  if (!suffix.empty()) {
    const char* units = "kmgtp";
    const char* u = std::strchr(units, std::tolower(static_cast<unsigned char>(suffix[0])));
    if (u != nullptr && *u != '\0') {
      unit = 1ull << (10 * (u - units + 1));
      suffix.erase(0, 1);
      if (!suffix.empty() && (suffix[0] == 'i' || suffix[0] == 'I')) suffix.erase(0, 1);
    }
    if (!suffix.empty() && (suffix[0] == 'b' || suffix[0] == 'B')) suffix.erase(0, 1);
  }
  const double bytes = number * static_cast<double>(unit);
  if (end == s || !std::isdigit(static_cast<unsigned char>(text[0])) || !suffix.empty() ||
      errno != 0 || bytes >= 9.2e18)
    throw Error(option + ": '" + text +
                "' is not a size: write bytes, or a number with k, m, g, t or p (binary units, "
                "as Docker: 64m is 64 MiB), or -1 for unlimited");
  return static_cast<int64_t>(bytes);
}

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The writes of one update, undone in reverse order when a later one fails.
class Journal {
 public:
  explicit Journal(const std::vector<std::string>& dirs) : dirs_(dirs) {}
  ~Journal() {
    if (committed_) return;
    for (auto it = done_.rbegin(); it != done_.rend(); ++it)
      files::try_write(it->file, it->value);  // best effort: the failure is what is reported
  }
  // The first of the run's directories with `file`, or "".
  std::string find(const std::string& file) const {
    for (const auto& d : dirs_)
      if (files::exists(d + "/" + file)) return d + "/" + file;
    return "";
  }
  // `looked_for` names every file that would do (v1's and v2's), for the message.
  std::string need(const std::string& file, const std::string& option,
                   const std::string& controller, const std::string& looked_for = {}) const {
    std::string path = find(file);
    if (path.empty()) {
      std::string where;
      for (const auto& d : dirs_) where += (where.empty() ? "" : ", ") + d;
      throw Error("update: " + option + " needs the " + controller +
                  " controller, but none of the container's cgroups has " +
                  (looked_for.empty() ? file : looked_for) + " (" +
                  (where.empty() ? "it has no cgroup" : where) +
                  "); the host does not provide that controller to this container");
    }
    return path;
  }
  std::string read(const std::string& path) const {
    return trim(files::try_read(path).value_or(""));
  }
  // `hint` explains an EBUSY (the kernel could not reclaim down to the limit).
  void write(const std::string& path, const std::string& value, const std::string& hint = {}) {
    const std::string old = read(path);
    if (!files::try_write(path, value)) {
      const int err = errno;
      throw Error("update: writing " + value + " to " + path + " failed: " + std::strerror(err) +
                      (hint.empty() || err != EBUSY ? "" : "; " + hint) +
                      "; nothing was changed (the limits written before were restored)",
                  err);
    }
    done_.push_back({path, old});
    if (!written_.count(path)) order_.push_back(path);
    written_.insert(path);
  }
  std::vector<Applied> commit() {
    committed_ = true;
    std::vector<Applied> out;
    for (const auto& p : order_) out.push_back({p, read(p)});
    return out;
  }

 private:
  const std::vector<std::string>& dirs_;
  std::vector<Applied> done_;  // file, value before the write
  std::vector<std::string> order_;
  std::set<std::string> written_;
  bool committed_ = false;
};

uint64_t number_or(const std::string& text, uint64_t fallback) {
  try {
    return std::stoull(text);
  } catch (const std::exception&) {  // "max", "" (unlimited, missing)
    return fallback;
  }
}

constexpr uint64_t kUnlimited = UINT64_MAX;

std::string v1_value(int64_t v) {
  return std::to_string(v);
}
std::string v2_value(int64_t v) {
  return v < 0 ? "max" : std::to_string(v);
}

void memory_v1(Journal& j, const std::string& limit_file, const Limits& l) {
  const std::string memsw_file = j.find("memory.memsw.limit_in_bytes");
  if (l.memory_swap && memsw_file.empty())
    throw Error("update: --memory-swap needs swap accounting, but " +
                limit_file.substr(0, limit_file.rfind('/')) +
                "/memory.memsw.limit_in_bytes does not exist; boot with swapaccount=1");
  const uint64_t old_mem = number_or(j.read(limit_file), kUnlimited);
  const uint64_t old_memsw =
      memsw_file.empty() ? kUnlimited : number_or(j.read(memsw_file), kUnlimited);
  std::optional<int64_t> memsw = l.memory_swap;
  // A container without swap (memsw == memory, policyrun's default) keeps having none.
  if (!memsw && l.memory && !memsw_file.empty() && old_memsw == old_mem) memsw = l.memory;
  const uint64_t new_mem = !l.memory ? old_mem : *l.memory < 0 ? kUnlimited : uint64_t(*l.memory);
  const std::string usage_hint =
      "the container uses " +
      j.read(limit_file.substr(0, limit_file.rfind('/')) + "/memory.usage_in_bytes") +
      " bytes (memory.usage_in_bytes) and the kernel could not reclaim "
      "enough: choose a larger limit";
  auto write_memory = [&] {
    if (l.memory) j.write(limit_file, v1_value(*l.memory), usage_hint);
  };
  auto write_memsw = [&] {
    if (memsw) j.write(memsw_file, v1_value(*memsw), usage_hint);
  };
  // memory <= memsw at every moment: raise memsw first, lower memory first.
  if (new_mem > old_mem) {
    write_memsw();
    write_memory();
  } else {
    write_memory();
    write_memsw();
  }
}

void memory_v2(Journal& j, const std::string& max_file, const Limits& l) {
  const std::string dir = max_file.substr(0, max_file.rfind('/'));
  if (l.memory && *l.memory >= 0) {
    // memory.max below the usage does not fail on v2: the kernel OOM-kills. Refuse instead.
    const uint64_t usage = number_or(j.read(dir + "/memory.current"), 0);
    uint64_t inactive = launch::cgroup::read_key(dir + "/memory.stat", "inactive_file");
    const uint64_t working = usage > inactive ? usage - inactive : 0;
    if (uint64_t(*l.memory) < working)
      throw Error("update: --memory " + std::to_string(*l.memory) +
                  " is below what the container uses (" + std::to_string(working) +
                  " bytes: " + dir +
                  "/memory.current minus inactive_file); the kernel would OOM-kill it. Choose a "
                  "larger limit; nothing was changed");
    j.write(max_file, v2_value(*l.memory));
  } else if (l.memory) {
    j.write(max_file, "max");
  }
  if (l.memory_swap) {
    const std::string swap_file =
        j.need("memory.swap.max", "--memory-swap", "memory (swap accounting)");
    std::string value = "max";
    if (*l.memory_swap >= 0) {
      const uint64_t mem = number_or(j.read(max_file), 0);
      value = std::to_string(uint64_t(*l.memory_swap) > mem ? uint64_t(*l.memory_swap) - mem : 0);
    }
    j.write(swap_file, value);
  }
}

}  // namespace

std::vector<Applied> apply(const std::vector<std::string>& dirs, const Limits& l) {
  if (l.memory && l.memory_swap && *l.memory_swap >= 0 &&
      (*l.memory < 0 || *l.memory_swap < *l.memory))
    throw Error("update: --memory-swap (memory plus swap) must be at least --memory, or -1");
  Journal j(dirs);
  if (l.memory || l.memory_swap) {
    const std::string v1 = j.find("memory.limit_in_bytes");
    if (!v1.empty())
      memory_v1(j, v1, l);
    else
      memory_v2(j,
                j.need("memory.max", l.memory ? "--memory" : "--memory-swap", "memory",
                       "memory.limit_in_bytes or memory.max"),
                l);
  }
  if (l.cpus) {
    if (*l.cpus < 0) throw Error("update: --cpus must be 0 (no limit) or more");
    const auto quota = static_cast<int64_t>(std::llround(*l.cpus * 100000));
    const std::string v1 = j.find("cpu.cfs_quota_us");
    if (!v1.empty()) {
      j.write(v1.substr(0, v1.rfind('/')) + "/cpu.cfs_period_us", "100000");
      j.write(v1, quota > 0 ? std::to_string(quota) : "-1");
    } else {
      j.write(j.need("cpu.max", "--cpus", "cpu", "cpu.cfs_quota_us or cpu.max"),
              (quota > 0 ? std::to_string(quota) : "max") + " 100000");
    }
  }
  if (l.cpu_shares) {
    const std::string v1 = j.find("cpu.shares");
    if (!v1.empty())
      j.write(v1, std::to_string(*l.cpu_shares));
    else
      j.write(j.need("cpu.weight", "--cpu-shares", "cpu", "cpu.shares or cpu.weight"),
              std::to_string(launch::cgroup::shares_to_weight(*l.cpu_shares)));
  }
  if (l.pids) {
    const std::string file = j.need("pids.max", "--pids-limit", "pids");
    j.write(file, *l.pids <= 0 ? "max" : std::to_string(*l.pids));
  }
  return j.commit();
}

}  // namespace policy::container::update
