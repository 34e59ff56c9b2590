#include "compiler/inspect/proc.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/common/text.hpp"

namespace policy::inspect {

namespace {

std::optional<std::string> try_read(const std::string& path) {
  runtime::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  return runtime::try_read_fd(fd.get(), 16 << 20);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string proc(pid_t pid) {
  return "/proc/" + std::to_string(pid);
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

std::vector<uint32_t> numbers(const std::string& text) {
  std::istringstream in(text);
  std::vector<uint32_t> out;
  for (uint64_t v; in >> v;) out.push_back(static_cast<uint32_t>(v));
  return out;
}

std::optional<uint64_t> ns_inode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return st.st_ino;
}

// A cgroup hierarchy mounted in the inspector's mount namespace.
struct Hierarchy {
  std::string controllers;  // super options' controllers; "" for cgroup2
  std::string root;         // the mount's root inside the hierarchy
  std::string mount_point;
};

std::vector<Hierarchy> mounted_hierarchies() {
  std::vector<Hierarchy> out;
  for (const MountInfo& m :
       read_mountinfo("/proc/self/mountinfo").value_or(std::vector<MountInfo>{})) {
    if (m.fstype != "cgroup" && m.fstype != "cgroup2") continue;
    Hierarchy h{"", m.root, m.target};
    if (m.fstype == "cgroup") {
      std::vector<std::string> kept;
      for (const std::string& o : runtime::split(m.super_options, ','))
        if (o != "rw" && o != "ro" && o.find("clone_children") == std::string::npos &&
            o.rfind("release_agent", 0) != 0 && o != "noprefix" && o != "xattr")
          kept.push_back(o);
      std::sort(kept.begin(), kept.end());
      for (size_t i = 0; i < kept.size(); ++i) h.controllers += (i ? "," : "") + kept[i];
    }
    out.push_back(h);
  }
  return out;
}

std::string sorted_list(const std::string& comma_list) {
  auto parts = runtime::split(comma_list, ',');
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "," : "") + parts[i];
  return out;
}

std::map<std::string, std::string> present_files(const std::string& dir,
                                                 std::initializer_list<const char*> files) {
  std::map<std::string, std::string> out;
  for (const char* f : files)
    if (auto v = try_read(dir + "/" + f)) out[f] = trim(*v);
  return out;
}

}  // namespace

std::vector<NamespaceInfo> read_namespaces(pid_t pid) {
  const std::string dir = proc(pid) + "/ns";
  std::vector<std::string> kinds;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n[0] != '.' && n.find("_for_children") == std::string::npos) kinds.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(kinds.begin(), kinds.end());
  std::vector<NamespaceInfo> out;
  for (const auto& kind : kinds) {
    const auto theirs = ns_inode(dir + "/" + kind);
    if (!theirs) continue;
    const auto ours = ns_inode("/proc/self/ns/" + kind);
    const auto init = ns_inode("/proc/1/ns/" + kind);
    NamespaceInfo n;
    n.kind = kind;
    n.inode = *theirs;
    n.inspector = ours == theirs;
    n.host = init ? *init == *theirs : n.inspector;
    out.push_back(n);
  }
  return out;
}

std::map<std::string, std::string> cgroup_limits(const std::string& dir) {
  return present_files(
      dir, {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.max", "memory.swap.max",
            "cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.max", "cpu.weight",
            "pids.max", "cpuset.cpus", "cpuset.mems"});
}

std::map<std::string, std::string> cgroup_usage(const std::string& dir) {
  return present_files(dir, {"memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.current",
                             "memory.peak", "pids.current", "cpuacct.usage"});
}

std::vector<CgroupInfo> read_cgroups(pid_t pid) {
  const auto text = try_read(proc(pid) + "/cgroup");
  if (!text) return {};
  const std::vector<Hierarchy> mounted = mounted_hierarchies();
  std::vector<CgroupInfo> out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    // hierarchy-id:controllers:path (v2: 0::path)
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    CgroupInfo c;
    c.controllers = sorted_list(line.substr(a + 1, b - a - 1));
    c.path = line.substr(b + 1);
    for (const Hierarchy& h : mounted) {
      if (h.controllers != c.controllers) continue;
      // The path is relative to the inspector's cgroup namespace root, the mount's root too.
      std::string rel = c.path;
      if (h.root != "/" && rel.rfind(h.root, 0) == 0) rel = rel.substr(h.root.size());
      c.dir = h.mount_point + (rel == "/" ? "" : rel);
      break;
    }
    if (!c.dir.empty()) {
      c.limits = cgroup_limits(c.dir);
      c.usage = cgroup_usage(c.dir);
    }
    out.push_back(std::move(c));
  }
  return out;
}

StatusInfo read_status(pid_t pid) {
  const auto text = try_read(proc(pid) + "/status");
  if (!text)
    throw Error("inspect: there is no process " + std::to_string(pid) + " (" + proc(pid) +
                "/status cannot be read); check the pid with ps");
  StatusInfo s;
  // The process names itself: nothing it chose may drive the reviewer's terminal.
  s.name = runtime::printable(status_field(*text, "Name"));
  const std::string state = status_field(*text, "State");
  if (!state.empty()) s.state = state[0];
  s.caps = caps::parse_status(*text);
  const std::string nnp = status_field(*text, "NoNewPrivs");
  if (!nnp.empty()) s.no_new_privs = nnp == "1";
  const std::string mode = status_field(*text, "Seccomp");
  if (!mode.empty()) s.seccomp_mode = std::stoi(mode);
  const std::string filters = status_field(*text, "Seccomp_filters");
  if (!filters.empty()) s.seccomp_filters = std::stoi(filters);
  s.uid = numbers(status_field(*text, "Uid"));
  s.gid = numbers(status_field(*text, "Gid"));
  return s;
}

const char* seccomp_mode_name(int mode) {
  static const char* const kModes[] = {"disabled", "strict", "filter"};
  return mode >= 0 && mode <= 2 ? kModes[mode] : "unknown";
}

std::optional<std::string> read_id_map(pid_t pid, const std::string& which) {
  const auto text = try_read(proc(pid) + "/" + which);
  if (!text) return std::nullopt;
  // The kernel pads the columns; one space between them reads the same.
  std::string out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    const auto n = numbers(line);
    if (n.size() != 3) continue;
    out += std::to_string(n[0]) + " " + std::to_string(n[1]) + " " + std::to_string(n[2]) + "\n";
  }
  return out;
}

std::optional<bool> root_is_unprivileged(const std::string& uid_map) {
  std::istringstream in(uid_map);
  for (std::string line; std::getline(in, line);) {
    const auto n = numbers(line);
    if (n.size() == 3 && n[0] == 0 && n[2] > 0) return n[1] != 0;
  }
  return std::nullopt;
}

std::optional<std::vector<MountInfo>> read_mountinfo(const std::string& mountinfo) {
  const auto text = try_read(mountinfo);
  if (!text) return std::nullopt;
  std::vector<MountInfo> out;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    const auto head = runtime::split(line.substr(0, dash), ' ');
    const auto tail = runtime::split(line.substr(dash + 3), ' ');
    if (head.size() < 6 || tail.size() < 3) continue;
    out.push_back({head[3], head[4], tail[0], tail[1], tail[2],
                   runtime::split(head[5], ',').front() == "rw"});
  }
  return out;
}

std::optional<std::string> read_lsm_label(pid_t pid) {
  auto label = try_read(proc(pid) + "/attr/apparmor/current");
  if (!label) label = try_read(proc(pid) + "/attr/current");
  if (!label) return std::nullopt;
  return trim(*label);
}

}  // namespace policy::inspect
