#include "runtime/container/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "compiler/driver/ir_codec.hpp"
#include "runtime/common/host.hpp"
#include "runtime/common/text.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/launch/reaper.hpp"

namespace policy::container {
namespace {

using json = nlohmann::json;
using runtime::UniqueFd;
namespace files = launch::files;

constexpr const char* kState = "state.json";
constexpr const char* kPolicy = "policy.bin";
constexpr size_t kMaxStateBytes = 1u << 20;
constexpr size_t kIdMax = 64;

bool valid_id(const std::string& id) {
  return !id.empty() && id.size() <= kIdMax &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

void check_id(const std::string& id, const char* what) {
  if (!valid_id(id))
    throw Error(std::string("container ") + what + " '" + id +
                "' is not valid: use 1 to 64 of a-z, 0-9, '-' and '_'");
}

// Replaces <dir>/<name> by `content` in one rename: a reader sees the old file or the new one.
void replace_file(const std::string& dir, const std::string& name, std::string_view content) {
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!d.valid()) throw sys_error("open the container's directory", dir);
  const std::string tmp = "." + name + "." + runtime::random_hex(6);
  UniqueFd fd(
      ::openat(d.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) throw sys_error("create", dir + "/" + tmp);
  try {
    runtime::write_fd(fd.get(), content, "write", dir + "/" + tmp);
  } catch (const Error&) {
    ::unlinkat(d.get(), tmp.c_str(), 0);
    throw;
  }
  fd.reset();
  if (::renameat(d.get(), tmp.c_str(), d.get(), name.c_str()) != 0) {
    auto err = sys_error("rename into", dir + "/" + name);
    ::unlinkat(d.get(), tmp.c_str(), 0);
    throw err;
  }
}

std::optional<std::string> read_small(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  return runtime::try_read_fd(fd.get(), kMaxStateBytes);
}

// Holds an flock on <root>/containers/.lock (creating the directories on first use).
class StoreLock {
 public:
  StoreLock(const std::string& root, int how) {
    const std::string dir = root + "/containers";
    const std::string path = dir + "/.lock";
    fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd_.valid() && errno == ENOENT) {
      files::make_dir(root, 0711);
      files::make_dir(dir, 0700);
      fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    }
    if (!fd_.valid()) throw sys_error("open the container store's lock", path);
    while (::flock(fd_.get(), how) != 0)
      if (errno != EINTR) throw sys_error("lock the container store", path);
  }

 private:
  UniqueFd fd_;
};

// The ids of the directories under <root>/containers (unordered).
std::vector<std::string> container_ids(const std::string& root) {
  std::vector<std::string> out;
  DIR* d = ::opendir((root + "/containers").c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (e->d_type == DT_DIR && valid_id(n)) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

// Whether process `pid` still is the one that started at `start` (0: unknown, never alive).
bool same_process(pid_t pid, uint64_t start) {
  return pid > 0 && start != 0 && starttime(pid) == start;
}

}  // namespace

const char* status_name(Status s) {
  switch (s) {
    case Status::Created:
      return "created";
    case Status::Running:
      return "running";
    case Status::Exited:
      return "exited";
  }
  return "unknown";
}

std::string to_json(const State& s) {
  json ports = json::array();
  for (const auto& p : s.ports)
    ports.push_back(
        {{"host", p.host}, {"container", p.container}, {"proto", p.proto}, {"host_ip", p.host_ip}});
  json j = {{"id", s.id},
            {"name", s.name},
            {"image", s.image},
            {"command", s.command},
            {"user", s.user},
            {"cwd", s.cwd},
            {"env", s.env},
            {"policy_file", s.policy_file},
            {"policy_name", s.policy_name},
            {"policy_sha256", s.policy_sha256},
            {"status", status_name(s.status)},
            {"detached", s.detached},
            {"auto_remove", s.auto_remove},
            {"pid", s.pid},
            {"pid_starttime", s.pid_starttime},
            {"supervisor_pid", s.supervisor_pid},
            {"supervisor_starttime", s.supervisor_starttime},
            {"exit_code", s.exit_code},
            {"exit_note", s.exit_note},
            {"created_ns", s.created_ns},
            {"started_ns", s.started_ns},
            {"finished_ns", s.finished_ns},
            {"cgroup_dirs", s.cgroup_dirs},
            {"network", s.network},
            {"ports", ports},
            {"network_helper_pid", s.network_helper_pid},
            {"labels", s.labels}};
  return j.dump(2) + "\n";
}

std::optional<State> from_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) return std::nullopt;
  try {
    State s;
    auto get = [&](const char* key, auto& field) {
      if (auto it = j.find(key); it != j.end() && !it->is_null())
        field = it->get<std::remove_reference_t<decltype(field)>>();
    };
    get("id", s.id);
    get("name", s.name);
    get("image", s.image);
    get("command", s.command);
    get("user", s.user);
    get("cwd", s.cwd);
    get("env", s.env);
    get("policy_file", s.policy_file);
    get("policy_name", s.policy_name);
    get("policy_sha256", s.policy_sha256);
    std::string status = "created";
    get("status", status);
    if (status == "running")
      s.status = Status::Running;
    else if (status == "exited")
      s.status = Status::Exited;
    else if (status == "created")
      s.status = Status::Created;
    else
      return std::nullopt;
    get("detached", s.detached);
    get("auto_remove", s.auto_remove);
    get("pid", s.pid);
    get("pid_starttime", s.pid_starttime);
    get("supervisor_pid", s.supervisor_pid);
    get("supervisor_starttime", s.supervisor_starttime);
    get("exit_code", s.exit_code);
    get("exit_note", s.exit_note);
    get("created_ns", s.created_ns);
    get("started_ns", s.started_ns);
    get("finished_ns", s.finished_ns);
    get("cgroup_dirs", s.cgroup_dirs);
    get("network", s.network);
    if (auto it = j.find("ports"); it != j.end() && it->is_array())
      for (const auto& p : *it) {
        Port port;
        port.host = p.at("host").get<uint16_t>();
        port.container = p.at("container").get<uint16_t>();
        port.proto = p.value("proto", "tcp");
        port.host_ip = p.value("host_ip", "");
        s.ports.push_back(port);
      }
    get("network_helper_pid", s.network_helper_pid);
    get("labels", s.labels);
    if (!valid_id(s.id)) return std::nullopt;
    if (s.name.empty()) s.name = s.id;
    return s;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

Store::Store(std::string root) : root_(std::move(root)) {}

std::string Store::dir(const std::string& id) const {
  return root_ + "/containers/" + id;
}

void Store::create(State& s) {
  check_id(s.id, "id");
  if (s.name.empty()) s.name = s.id;
  check_id(s.name, "name");
  if (s.created_ns == 0) s.created_ns = realtime_ns();
  StoreLock lock(root_, LOCK_EX);
  for (const auto& id : container_ids(root_)) {
    auto text = read_small(dir(id) + "/" + kState);
    auto other = text ? from_json(*text) : std::nullopt;
    if (id == s.id || id == s.name || (other && (other->name == s.name || other->name == s.id)))
      throw Error("the container name '" + s.name + "' is already in use by container " + id +
                  ": remove it first (policyrun rm " + id + ") or choose another --name");
  }
  const std::string d = dir(s.id);
  if (::mkdir(d.c_str(), 0700) != 0) throw sys_error("create the container's directory", d);
  try {
    replace_file(d, kState, to_json(s));
  } catch (const Error&) {
    ::rmdir(d.c_str());
    throw;
  }
}

void Store::save(const State& s) {
  check_id(s.id, "id");
  replace_file(dir(s.id), kState, to_json(s));
}

std::vector<State> Store::list() {
  std::vector<State> out;
  {
    StoreLock lock(root_, LOCK_EX);
    for (const auto& id : container_ids(root_)) {
      auto text = read_small(dir(id) + "/" + kState);
      if (!text && errno == ENOENT) {
        // create() writes state.json under this lock: a directory without one is what a
        // policyrun killed inside create() left, and would hold the name for ever.
        runtime::remove_tree(dir(id));
        continue;
      }
      auto s = text ? from_json(*text) : std::nullopt;
      if (!s || s->id != id) continue;  // not a state this policyrun can read: left alone
      // A supervisor that is gone without recording the exit (SIGKILL, a crash): its container
      // died with it (PR_SET_PDEATHSIG), the reaper removes what the run left.
      const bool open =
          s->status == Status::Running || (s->status == Status::Created && s->supervisor_pid != 0);
      if (open && !supervised(id) && !supervisor_alive(*s)) {
        if (s->auto_remove) {
          runtime::remove_tree(dir(id));
          continue;
        }
        s->status = Status::Exited;
        if (s->exit_code < 0) s->exit_code = 137;
        s->exit_note = "supervisor died";
        if (s->finished_ns == 0) s->finished_ns = realtime_ns();
        save(*s);
      }
      out.push_back(std::move(*s));
    }
  }
  launch::reaper::collect(root_);
  std::sort(out.begin(), out.end(), [](const State& a, const State& b) {
    return a.created_ns != b.created_ns ? a.created_ns < b.created_ns : a.id < b.id;
  });
  return out;
}

State Store::find(const std::string& name_or_id) {
  if (name_or_id.empty()) throw Error("no such container: '' (give a name or an id)");
  std::vector<State> all = list();
  for (auto& s : all)
    if (s.id == name_or_id) return s;
  for (auto& s : all)
    if (s.name == name_or_id) return s;
  std::vector<State*> prefixed;
  for (auto& s : all)
    if (s.id.compare(0, name_or_id.size(), name_or_id) == 0) prefixed.push_back(&s);
  if (prefixed.size() == 1) return *prefixed.front();
  if (prefixed.empty())
    throw Error("no such container: " + name_or_id + " (policyrun ps -a lists them)");
  std::string ids;
  for (const State* s : prefixed) ids += (ids.empty() ? "" : ", ") + s->id;
  throw Error(name_or_id + " is ambiguous: " + ids + " (give more of the id)");
}

void Store::remove(const std::string& id) {
  check_id(id, "id");
  StoreLock lock(root_, LOCK_EX);
  runtime::remove_tree(dir(id));
}

bool Store::supervised(const std::string& id) const {
  if (!valid_id(id)) return false;
  const std::string path = root_ + "/run/" + id + ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid()) return false;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;  // nobody holds it: dead
  return errno == EWOULDBLOCK;
}

void Store::save_policy(const std::string& id, const ir::Policy& p,
                        const std::vector<sock_filter>& filter) {
  check_id(id, "id");
  std::string bytes;
  driver::put_string(bytes, driver::encode_ir(p));
  driver::put_string(bytes, std::string_view(reinterpret_cast<const char*>(filter.data()),
                                             filter.size() * sizeof(sock_filter)));
  replace_file(dir(id), kPolicy, bytes);
}

Store::StoredPolicy Store::load_policy(const std::string& id) const {
  check_id(id, "id");
  const std::string path = dir(id) + "/" + kPolicy;
  const std::string bytes = files::read(path);
  std::string_view rest = bytes;
  std::string ir, filter;
  std::optional<ir::Policy> policy;
  if (driver::take_string(rest, ir) && driver::take_string(rest, filter) && rest.empty() &&
      filter.size() % sizeof(sock_filter) == 0)
    policy = driver::decode_ir(ir);
  if (!policy)
    throw Error(path +
                ": not a compiled policy this policyrun wrote (damaged, or from another "
                "version); remove the container and run it again");
  StoredPolicy out{std::move(*policy),
                   std::vector<sock_filter>(filter.size() / sizeof(sock_filter))};
  std::copy(filter.begin(), filter.end(), reinterpret_cast<char*>(out.filter.data()));
  return out;
}

std::string Store::policy_sha256(const std::string& id) const {
  check_id(id, "id");
  return image::sha256_hex(files::read(dir(id) + "/" + kPolicy));
}

int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

uint64_t starttime(pid_t pid) {
  if (pid <= 0) return 0;
  auto stat = read_small("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return 0;
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat->size()) return 0;
  // Fields after "(comm) " start with field 3 (state); starttime is field 22.
  const auto fields = runtime::split(std::string_view(*stat).substr(paren + 2), ' ');
  if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X") return 0;  // exited
  try {
    return std::stoull(fields[19]);
  } catch (const std::exception&) {
    return 0;
  }
}

bool supervisor_alive(const State& s) {
  return same_process(s.supervisor_pid, s.supervisor_starttime);
}

runtime::UniqueFd open_init(const State& s) {
  if (s.pid <= 0 || s.pid_starttime == 0) return {};
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, s.pid, 0)));
  // Checked after opening: the pidfd then names the process whose starttime we compare.
  if (!fd.valid() || starttime(s.pid) != s.pid_starttime) return {};
  return fd;
}

}  // namespace policy::container
