#include "runtime/launch/cgroup.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"
#include "runtime/launch/files.hpp"

namespace policy::launch::cgroup {

using runtime::split;

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::None:
      return "none";
    case Mode::V1:
      return "v1";
    case Mode::V2:
      return "v2";
    case Mode::Hybrid:
      return "hybrid";
  }
  return "?";
}

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Layout parse_layout(const std::string& mountinfo, const std::string& proc_cgroups) {
  std::set<std::string> known;  // controllers the kernel has, enabled
  std::istringstream pc(proc_cgroups);
  for (std::string line; std::getline(pc, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string name, hier, num, enabled;
    ls >> name >> hier >> num >> enabled;
    if (enabled == "1") known.insert(name);
  }
  Layout l;
  std::istringstream mi(mountinfo);
  for (std::string line; std::getline(mi, line);) {
    auto f = split(line, ' ');
    size_t dash = 0;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (f.size() < 5 || dash + 2 >= f.size()) continue;
    const std::string& fstype = f[dash + 1];
    const std::string root = unescape(f[3]);
    const std::string mnt = unescape(f[4]);
    const std::string super = dash + 3 < f.size() ? f[dash + 3] : "";
    if (fstype == "cgroup2" && l.v2_mount.empty()) {
      l.v2_mount = mnt;
      l.v2_root = root;
    } else if (fstype == "cgroup") {
      for (const auto& opt : split(super, ','))
        if (known.count(opt) && !l.v1_mounts.count(opt)) {
          l.v1_mounts[opt] = mnt;
          l.v1_roots[opt] = root;
        }
    }
  }
  if (!l.v1_mounts.empty())
    l.mode = l.v2_mount.empty() ? Mode::V1 : Mode::Hybrid;
  else if (!l.v2_mount.empty())
    l.mode = Mode::V2;
  return l;
}

Layout detect() {
  std::string filesystems = files::read("/proc/filesystems");
  Layout l = parse_layout(files::read("/proc/self/mountinfo"),
                          files::exists("/proc/cgroups") ? files::read("/proc/cgroups") : "");
  if (filesystems.find("\tcgroup2\n") == std::string::npos) l.v2_mount.clear();
  if (!l.v2_mount.empty()) {
    const auto controllers = files::try_read(l.v2_mount + "/cgroup.controllers");
    for (const auto& c : split(controllers.value_or(""), ' ')) {
      std::string t = c;
      while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
      if (!t.empty()) l.v2_controllers.insert(t);
    }
  }
  if (l.v1_mounts.empty() && l.v2_mount.empty()) l.mode = Mode::None;
  return l;
}

std::string own_path(const std::string& proc_self_cgroup, const std::string& controller) {
  std::istringstream in(proc_self_cgroup);
  for (std::string line; std::getline(in, line);) {
    auto c1 = line.find(':');
    auto c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    std::string ctrls = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path = line.substr(c2 + 1);
    if (controller.empty()) {
      if (line.substr(0, c1) == "0" && ctrls.empty()) return path;
      continue;
    }
    for (const auto& c : split(ctrls, ','))
      if (c == controller) return path;
  }
  return "/";
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t weight_to_shares(uint64_t weight) {
  if (weight == 0) return 0;
  if (weight > 10000) weight = 10000;
  return 2 + ((weight - 1) * 262142) / 9999;
}

uint64_t read_key(const std::string& file, const std::string& key) {
  const auto text = files::try_read(file);
  if (!text) return 0;
  std::istringstream in(*text);
  for (std::string k; in >> k;) {
    std::string v;
    in >> v;
    if (k == key) return std::stoull(v);
  }
  return 0;
}

void kill_and_remove(const std::string& dir) noexcept {
  if (!files::exists(dir)) return;
  if (files::exists(dir + "/cgroup.kill")) files::try_write(dir + "/cgroup.kill", "1");
  for (int attempt = 0; attempt < 400; ++attempt) {
    std::istringstream in(files::try_read(dir + "/cgroup.procs").value_or(""));
    for (pid_t p; in >> p;) ::kill(p, SIGKILL);  // only processes of our own run's cgroup
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string own_dir(const std::string& mount, const std::string& mount_root,
                    const std::string& own) {
  std::string rel = own;
  if (mount_root != "/" && rel.rfind(mount_root, 0) == 0) rel = rel.substr(mount_root.size());
  if (rel.empty() || rel == "/") return mount;
  return mount + rel;
}

std::string make_run_dir(RunCgroup& rc, const std::string& parent, const std::string& run_id,
                         const std::function<void(const std::string& base)>& prepare) {
  std::string base = parent + "/policyrun";
  std::string dir = base + "/" + run_id;
  rc.parents_.push_back(base);  // removed on failure too, when empty
  for (int attempt = 0;; ++attempt) {
    files::make_dir(base, 0755);
    try {
      if (prepare) prepare(base);
    } catch (const Error& e) {
      if (e.sys_errno() == ENOENT && attempt < 20) continue;
      throw;
    }
    if (::mkdir(dir.c_str(), 0755) == 0) break;
    if (errno != ENOENT || attempt == 20) throw sys_error("cgroup: mkdir", dir);
  }
  rc.dirs_.push_back(dir);
  return dir;
}

void RunCgroup::attach(pid_t pid) {
  for (const auto& d : dirs_) {
    try {
      files::write(d + "/cgroup.procs", std::to_string(pid));
    } catch (const Error& e) {
      throw Error(std::string("cgroup: moving the container into its cgroup failed: ") + e.what(),
                  e.sys_errno());
    }
  }
}

Events RunCgroup::events() const {
  Events e;
  if (!oom_file.empty()) e.oom_kills = read_key(oom_file, oom_key);
  if (!pids_events_file.empty()) e.pids_max_hits = read_key(pids_events_file, "max");
  return e;
}

std::vector<pid_t> RunCgroup::pids() const {
  std::vector<pid_t> out;
  for (const auto& d : dirs_) {
    std::istringstream in(files::try_read(d + "/cgroup.procs").value_or(""));
    for (pid_t p; in >> p;) out.push_back(p);
  }
  return out;
}

void RunCgroup::destroy() noexcept {
  for (const auto& d : dirs_) kill_and_remove(d);
  for (const auto& p : parents_) ::rmdir(p.c_str());  // fails harmlessly while other runs use it
  dirs_.clear();
  parents_.clear();
}

std::unique_ptr<RunCgroup> create(const Layout& layout, const std::string& run_id,
                                  const ir::ResourceLimits& limits) {
  switch (layout.mode) {
    case Mode::V1:
      return create_v1(layout, run_id, limits, false);
    case Mode::Hybrid:
      return create_v1(layout, run_id, limits, true);
    case Mode::V2:
      return create_v2(layout, run_id, limits);
    case Mode::None:
      break;
  }
  if (limits.memory_bytes || limits.memory_swap_bytes || limits.cpu_shares || limits.cpu_weight ||
      limits.cpu_quota_us || limits.pids || limits.cpuset_cpus || limits.cpuset_mems)
    throw Error(
        "resources: the policy sets limits but this host has no cgroup file system "
        "mounted (neither cgroup v1 controllers nor cgroup2 in /proc/self/mountinfo); "
        "mount cgroup2 at /sys/fs/cgroup or remove the resources section");
  if (!limits.devices.unrestricted())
    throw Error(
        "devices: the policy restricts devices (every policy does unless it says 'devices { "
        "allow a *:* rwm }') but this host has no cgroup file system mounted, so neither the "
        "v1 devices controller nor a v2 BPF device program can enforce it; mount cgroup2 at "
        "/sys/fs/cgroup");
  return nullptr;
}

void report(const Events& e, const ir::ResourceLimits& limits, std::ostream& out) {
  if (e.oom_kills > 0) {
    out << "policyrun: the container was killed by the kernel's OOM killer: memory limit";
    if (limits.memory_bytes) out << " of " << *limits.memory_bytes << " bytes";
    out << " reached (oom_kill " << e.oom_kills << ")\n";
  }
  if (e.pids_max_hits > 0) {
    out << "policyrun: the container hit its pids limit";
    if (limits.pids) out << " of " << *limits.pids;
    out << ": " << e.pids_max_hits << " fork/clone calls were refused (pids.events max)\n";
  }
}

}  // namespace policy::launch::cgroup
