// The OCI runtime commands (docs/oci-runtime.md "The commands"). A container's state lives in
// <root>/<id>/: state.json (what `state` prints, and what the other commands need: the process's
// pid and start time, its cgroups), policy.ir and filters.bin (the confinement `exec` applies
// again), exec.fifo while the container is created but not started. The container's process is
// the one in the pid file: `create` leaves it set up and waiting on exec.fifo, a child of the
// engine that called us (containerd's shim, a subreaper, reaps it); `start` releases it.
#include "runtime/oci/runtime.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "compiler/common/error.hpp"
#include "compiler/common/fnv.hpp"
#include "compiler/driver/ir_codec.hpp"
#include "runtime/common/host.hpp"
#include "runtime/container/lifecycle.hpp"
#include "runtime/container/store.hpp"
#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/exec.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/oci/config.hpp"

namespace po = boost::program_options;

namespace policy::oci {
namespace {

using runtime::UniqueFd;

constexpr const char* kOciVersion = "1.0.2";
constexpr const char* kDefaultRoot = "/run/policyrun";

const std::set<std::string>& runtime_commands() {
  static const std::set<std::string> names = {
      "create", "start",  "state",  "kill",   "delete", "exec", "ps",         "features",
      "pause",  "resume", "update", "events", "list",   "spec", "checkpoint", "restore"};
  return names;
}
// Commands whose names policyrun's own (Docker-style) CLI does not use.
const std::set<std::string>& runtime_only_commands() {
  static const std::set<std::string> names = {"create",   "start", "state",      "delete",
                                              "features", "pause", "resume",     "events",
                                              "list",     "spec",  "checkpoint", "restore"};
  return names;
}

bool is_global_option(const std::string& a) {
  for (const char* g :
       {"--root", "--log", "--log-format", "--debug", "--systemd-cgroup", "--rootless", "--criu"})
    if (a == g || a.rfind(std::string(g) + "=", 0) == 0) return true;
  return false;
}
bool global_takes_value(const std::string& a) {
  return a == "--root" || a == "--log" || a == "--log-format" || a == "--rootless" || a == "--criu";
}

// ---- global options and the log ----

struct Globals {
  std::string root = kDefaultRoot;
  std::string log, log_format = "text";
  bool debug = false;
};

std::string rfc3339_now() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09ldZ", ts.tv_nsec);
  return std::string(buf) + frac;
}

// One line per message, appended: JSON objects ({"level","msg","time"}) with --log-format json,
// where containerd's shim reads the last error; else logfmt-like text.
void log_line(const Globals& g, const std::string& level, const std::string& msg) {
  if (g.log.empty()) return;
  std::string line;
  if (g.log_format == "json")
    line = nlohmann::json{{"level", level}, {"msg", msg}, {"time", rfc3339_now()}}.dump() + "\n";
  else
    line = "time=\"" + rfc3339_now() + "\" level=" + level + " msg=" + nlohmann::json(msg).dump() +
           "\n";
  UniqueFd fd(::open(g.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (fd.valid() && ::write(fd.get(), line.data(), line.size()) < 0) {
  }
}

// ---- the container's state ----

struct State {
  std::string id, run_id, bundle, rootfs, created;
  pid_t pid = 0;
  uint64_t starttime = 0;
  std::vector<std::string> cgroup_dirs;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> report;
};

void check_id(const std::string& id) {
  const bool ok = !id.empty() && id.size() <= 1024 && id != "." && id != ".." &&
                  std::isalnum(static_cast<unsigned char>(id[0])) &&
                  id.find_first_not_of(
                      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789_.+-") == std::string::npos;
  if (!ok)
    throw Error(
        "container id '" + id +
        "' is not valid: letters, digits and _ . + - only, starting with a letter or digit");
}

// The launch's run id (its cgroup policyrun/<run id>): the id where it is already one, else a
// readable part of it and a hash.
std::string run_id_for(const std::string& id) {
  std::string out = "oci-";
  bool changed = false;
  for (char c : id.substr(0, 48)) {
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-';
    out += ok ? l : '-';
    changed |= !ok || l != c;
  }
  if (changed || id.size() > 48) out += "-" + fnv1a_hex(id).substr(0, 8);
  return out;
}

class Runtime {
 public:
  explicit Runtime(Globals g) : g_(std::move(g)) {}

  std::string dir(const std::string& id) const { return g_.root + "/" + id; }

  State load(const std::string& id) const {
    check_id(id);
    const auto text = launch::files::try_read(dir(id) + "/state.json");
    if (!text) throw Error("container \"" + id + "\" does not exist (no state in " + dir(id) + ")");
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) throw Error(dir(id) + "/state.json: damaged state (not a JSON object)");
    State s;
    s.id = j.value("id", "");
    s.run_id = j.value("run_id", "");
    s.bundle = j.value("bundle", "");
    s.rootfs = j.value("rootfs", "");
    s.created = j.value("created", "");
    s.pid = j.value("pid", 0);
    s.starttime = j.value("pid_starttime", uint64_t{0});
    s.cgroup_dirs = j.value("cgroup_dirs", std::vector<std::string>{});
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.report = j.value("policy_report", std::vector<std::string>{});
    if (s.id != id) throw Error(dir(id) + "/state.json: damaged state (another id)");
    return s;
  }

  void save(const State& s) const {
    nlohmann::json j{{"ociVersion", kOciVersion},
                     {"id", s.id},
                     {"run_id", s.run_id},
                     {"bundle", s.bundle},
                     {"rootfs", s.rootfs},
                     {"created", s.created},
                     {"pid", s.pid},
                     {"pid_starttime", s.starttime},
                     {"cgroup_dirs", s.cgroup_dirs},
                     {"annotations", s.annotations},
                     {"policy_report", s.report}};
    write_atomically(dir(s.id) + "/state.json", j.dump(2) + "\n");
  }

  // Alive and not a zombie, and still the process we started (its start time).
  static bool alive(const State& s) {
    if (s.pid <= 0 || s.starttime == 0 || container::starttime(s.pid) != s.starttime) return false;
    const auto stat = launch::files::try_read("/proc/" + std::to_string(s.pid) + "/stat");
    if (!stat) return false;
    const size_t paren = stat->rfind(')');
    return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] != 'Z' &&
           (*stat)[paren + 2] != 'X';
  }

  std::string status(const State& s) const {
    if (!alive(s)) return "stopped";
    return launch::files::exists(dir(s.id) + "/exec.fifo") ? "created" : "running";
  }

  // A pidfd of the container's process, checked to be it after it was opened.
  static UniqueFd open_process(const State& s) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, s.pid, 0)));
    if (!fd.valid() || !alive(s)) throw Error("container \"" + s.id + "\": container not running");
    return fd;
  }

  // The container's cgroup directories, each checked to be a policyrun/<run id> one: a damaged
  // state file cannot aim a kill or a removal elsewhere.
  static std::vector<std::string> own_cgroups(const State& s) {
    std::vector<std::string> out;
    const std::string tail = "/policyrun/" + s.run_id;
    for (const auto& d : s.cgroup_dirs)
      if (!s.run_id.empty() && d.size() > tail.size() &&
          d.compare(d.size() - tail.size(), tail.size(), tail) == 0 &&
          d.find("/../") == std::string::npos && d.rfind("/sys/fs/cgroup/", 0) == 0)
        out.push_back(d);
    return out;
  }

  static std::vector<pid_t> pids(const State& s) {
    std::set<pid_t> out;
    for (const auto& d : own_cgroups(s)) {
      std::istringstream in(launch::files::try_read(d + "/cgroup.procs").value_or(""));
      for (pid_t p; in >> p;) out.insert(p);
    }
    return {out.begin(), out.end()};
  }

  static void write_atomically(const std::string& path, const std::string& content) {
    const std::string tmp = path + ".tmp";
    {
      UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
      if (!fd.valid()) throw sys_error("create", tmp);
      runtime::write_fd(fd.get(), content, "write", tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      throw Error("rename " + tmp + " to " + path + ": " + std::strerror(e), e);
    }
  }

  // An exclusive lock on the container's directory for the life of the object.
  UniqueFd lock(const std::string& id) const {
    UniqueFd fd(::open(dir(id).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) throw Error("container \"" + id + "\" does not exist (" + dir(id) + ")");
    if (::flock(fd.get(), LOCK_EX) != 0) throw sys_error("flock", dir(id));
    return fd;
  }

  const Globals& globals() const { return g_; }

  // The container's state and status, under its lock (start, delete).
  struct Locked {
    UniqueFd held;
    State state;
    std::string status;
  };
  Locked load_locked(const std::string& id) const {
    Locked l;
    l.held = lock(id);
    l.state = load(id);
    l.status = status(l.state);
    return l;
  }

 private:
  Globals g_;
};

// The confinement `exec` applies again: the policy (IR codec) and the filters, as created.
void save_confinement(const std::string& dir, const ContainerConfig& c) {
  Runtime::write_atomically(dir + "/policy.ir", driver::encode_ir(*c.policy));
  if (c.annotation_policy)  // load_process narrows an exec'd process with it again
    Runtime::write_atomically(dir + "/annotation.ir", driver::encode_ir(*c.annotation_policy));
  std::string bin;
  for (const auto& f : c.filters) {
    const uint32_t n = static_cast<uint32_t>(f.size());
    bin.append(reinterpret_cast<const char*>(&n), sizeof n);
    bin.append(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(sock_filter));
  }
  Runtime::write_atomically(dir + "/filters.bin", bin);
}

ContainerConfig load_confinement(const std::string& dir, const State& s) {
  ContainerConfig c;
  c.bundle = s.bundle;
  c.rootfs = s.rootfs;
  c.annotations = s.annotations;
  auto ir = driver::decode_ir(launch::files::read(dir + "/policy.ir"));
  if (!ir) throw Error(dir + "/policy.ir: damaged (cannot be decoded)");
  c.policy = std::make_unique<ir::Policy>(std::move(*ir));
  if (launch::files::exists(dir + "/annotation.ir")) {
    auto a = driver::decode_ir(launch::files::read(dir + "/annotation.ir"));
    if (!a) throw Error(dir + "/annotation.ir: damaged (cannot be decoded)");
    c.annotation_policy = std::make_unique<ir::Policy>(std::move(*a));
  }
  const std::string bin = launch::files::read(dir + "/filters.bin");
  size_t at = 0;
  while (at < bin.size()) {
    uint32_t n = 0;
    if (bin.size() - at < sizeof n) throw Error(dir + "/filters.bin: damaged");
    std::memcpy(&n, bin.data() + at, sizeof n);
    at += sizeof n;
    if (n == 0 || n > 4096 || (bin.size() - at) / sizeof(sock_filter) < n)
      throw Error(dir + "/filters.bin: damaged");
    std::vector<sock_filter> f(n);
    std::memcpy(f.data(), bin.data() + at, n * sizeof(sock_filter));
    at += n * sizeof(sock_filter);
    c.filters.push_back(std::move(f));
  }
  return c;
}

// --root and the directories above it (containerd's shim names <its root>/<namespace>).
void make_root(const std::string& root) {
  for (size_t at = 1; at != std::string::npos;) {
    at = root.find('/', at + 1);
    const std::string d = root.substr(0, at);
    if (::mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) throw sys_error("create --root", d);
  }
}

// The launch's filters: the newest is its seccomp_filter, the older ones are installed first.
void split_filters(const std::vector<std::vector<sock_filter>>& filters,
                   std::vector<sock_filter>& newest, std::vector<std::vector<sock_filter>>& older) {
  if (filters.empty()) return;
  newest = filters.back();
  older.assign(filters.begin(), filters.end() - 1);
}

void write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return;
  // No newline: containerd's shim parses the whole file as a number.
  Runtime::write_atomically(path, std::to_string(pid));
}

// ---- each command's options ----

struct Parsed {
  po::variables_map vm;
  std::vector<std::string> positional;
  bool help = false;  // --help was shown: the command returns 0
};

Parsed parse(const std::vector<std::string>& args, po::options_description& desc,
             const char* usage) {
  desc.add_options()("help,h", "show this help")("args", po::value<std::vector<std::string>>(),
                                                 "positional");
  po::positional_options_description pos;
  pos.add("args", -1);
  Parsed p;
  po::options_description visible = desc;
  po::store(po::command_line_parser(args).options(desc).positional(pos).run(), p.vm);
  po::notify(p.vm);
  if (p.vm.count("help")) {
    std::cout << usage << "\n" << visible;
    p.help = true;
    return p;
  }
  if (p.vm.count("args")) p.positional = p.vm["args"].as<std::vector<std::string>>();
  return p;
}

std::string need_id(const Parsed& p, const char* command, size_t max_args = 1) {
  if (p.positional.empty())
    throw Error(std::string(command) + ": give the container's id (policyrun " + command + " ID)");
  if (p.positional.size() > max_args)
    throw Error(std::string(command) + ": unexpected argument '" + p.positional[max_args] + "'");
  check_id(p.positional[0]);
  return p.positional[0];
}

// Records the container's process and cgroups as the launch starts it.
struct CreatedObserver : launch::RunObserver {
  pid_t pid = -1;
  std::vector<std::string> cgroup_dirs;
  void started(const Started& run) override {
    pid = run.pid;
    cgroup_dirs = run.cgroup_dirs;
  }
};

int cmd_create(Runtime& rt, const std::vector<std::string>& args) {
  std::string bundle = ".", pid_file, console_socket;
  po::options_description desc("create options");
  desc.add_options()("bundle,b", po::value(&bundle), "the bundle directory (default: .)")(
      "pid-file", po::value(&pid_file), "write the container process's host pid here")(
      "console-socket", po::value(&console_socket),
      "with process.terminal: send the pty master to this Unix socket")(
      "no-pivot", "accepted; pivot_root is used unless the policy says chroot")(
      "no-new-keyring", "accepted: the session keyring is the host's (as with runc's flag)")(
      "preserve-fds", po::value<unsigned>(), "not supported: refused when not 0");
  Parsed p = parse(args, desc, "Usage: policyrun create [--bundle DIR] [--pid-file F] ID");
  if (p.help) return 0;
  const std::string id = need_id(p, "create");
  if (p.vm.count("preserve-fds") && p.vm["preserve-fds"].as<unsigned>() != 0)
    throw Error("create: --preserve-fds is not supported: the container gets stdio only");
  char real[PATH_MAX];
  if (!::realpath(bundle.c_str(), real)) throw sys_error("create: the bundle directory", bundle);
  ContainerConfig cfg = load_bundle(real);
  if (cfg.process.terminal && console_socket.empty())
    throw Error("create: config.json sets process.terminal but no --console-socket was given");
  if (!cfg.process.terminal && !console_socket.empty())
    throw Error("create: --console-socket given but config.json's process.terminal is false");

  make_root(rt.globals().root);
  const std::string dir = rt.dir(id);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) throw Error("container with id \"" + id + "\" already exists");
    throw sys_error("create: the container's state directory", dir);
  }
  try {
    const std::string fifo = dir + "/exec.fifo";
    if (::mkfifo(fifo.c_str(), 0600) != 0) throw sys_error("create: mkfifo", fifo);
    UniqueFd start(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!start.valid()) throw sys_error("create: open", fifo);

    State s;
    s.id = id;
    s.run_id = run_id_for(id);
    s.bundle = real;
    s.rootfs = cfg.rootfs;
    s.created = rfc3339_now();
    s.annotations = cfg.annotations;
    s.report = cfg.report;

    launch::LaunchRequest req;
    req.policy = cfg.policy.get();
    split_filters(cfg.filters, req.seccomp_filter, req.extra_filters);
    req.rootfs_dir = cfg.rootfs;
    req.argv = cfg.process.args;
    req.env = cfg.process.env;
    req.cwd = cfg.process.cwd;
    req.user = cfg.process.user;
    req.tty = cfg.process.terminal;
    req.state_root = rt.globals().root;
    req.run_id = s.run_id;
    req.docker_identity = false;
    req.start_fd = start.get();
    req.console_socket = console_socket;
    CreatedObserver created;
    req.observers.push_back(&created);
    launch::launch(req);
    s.pid = created.pid;
    s.starttime = container::starttime(created.pid);
    s.cgroup_dirs = created.cgroup_dirs;
    try {
      save_confinement(dir, cfg);
      rt.save(s);
      write_pid_file(pid_file, s.pid);
    } catch (...) {
      ::kill(s.pid, SIGKILL);
      for (const auto& d : Runtime::own_cgroups(s)) launch::cgroup::kill_and_remove(d);
      throw;
    }
    for (const auto& line : cfg.report) log_line(rt.globals(), "info", id + ": " + line);
  } catch (...) {
    runtime::remove_tree(dir);
    throw;
  }
  return 0;
}

int cmd_start(Runtime& rt, const std::vector<std::string>& args) {
  po::options_description desc("start options");
  Parsed p = parse(args, desc, "Usage: policyrun start ID");
  if (p.help) return 0;
  const std::string id = need_id(p, "start");
  const auto [held, s, st] = rt.load_locked(id);
  if (st == "running") throw Error("cannot start an already running container");
  if (st == "stopped") throw Error("cannot start a container that has stopped");
  const std::string fifo = rt.dir(id) + "/exec.fifo";
  UniqueFd fd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid())
    throw Error("cannot start container \"" + id + "\": its process no longer waits (" +
                std::strerror(errno) + ")");
  if (::write(fd.get(), "g", 1) != 1) throw sys_error("start: write", fifo);
  ::unlink(fifo.c_str());
  return 0;
}

int cmd_state(Runtime& rt, const std::vector<std::string>& args) {
  po::options_description desc("state options");
  Parsed p = parse(args, desc, "Usage: policyrun state ID");
  if (p.help) return 0;
  const State s = rt.load(need_id(p, "state"));
  nlohmann::json j{{"ociVersion", kOciVersion}, {"id", s.id},         {"pid", s.pid},
                   {"status", rt.status(s)},    {"bundle", s.bundle}, {"rootfs", s.rootfs},
                   {"created", s.created},      {"owner", ""}};
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  std::cout << j.dump(2) << "\n";
  return 0;
}

int cmd_kill(Runtime& rt, const std::vector<std::string>& args) {
  po::options_description desc("kill options");
  desc.add_options()("all,a", "send the signal to every process of the container");
  Parsed p = parse(args, desc, "Usage: policyrun kill [--all] ID [SIGNAL]");
  if (p.help) return 0;
  const std::string id = need_id(p, "kill", 2);
  const int sig = container::signal_number(p.positional.size() > 1 ? p.positional[1] : "TERM");
  const State s = rt.load(id);
  if (rt.status(s) == "stopped") throw Error("container \"" + id + "\": container not running");
  if (p.vm.count("all")) {
    for (pid_t pid : Runtime::pids(s)) ::kill(pid, sig);
    return 0;
  }
  UniqueFd pidfd = Runtime::open_process(s);
  if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) != 0) {
    if (errno == ESRCH) throw Error("container \"" + id + "\": container not running");
    throw sys_error("kill: pidfd_send_signal");
  }
  return 0;
}

// Waits up to `ms` for the container's cgroups to hold no process.
void wait_empty(const State& s, int ms) {
  for (int waited = 0; waited < ms && !Runtime::pids(s).empty(); waited += 10) ::usleep(10000);
}

int cmd_delete(Runtime& rt, const std::vector<std::string>& args) {
  po::options_description desc("delete options");
  desc.add_options()("force,f", "kill the container first if it is running");
  Parsed p = parse(args, desc, "Usage: policyrun delete [--force] ID");
  if (p.help) return 0;
  const std::string id = need_id(p, "delete");
  auto [held, s, st] = rt.load_locked(id);
  if (st == "running" && !p.vm.count("force"))
    throw Error("cannot delete container \"" + id + "\" that is not stopped: running (--force)");
  if (st != "stopped") {
    for (pid_t pid : Runtime::pids(s)) ::kill(pid, SIGKILL);
    if (Runtime::alive(s)) ::kill(s.pid, SIGKILL);
    wait_empty(s, 5000);
  }
  for (const auto& d : Runtime::own_cgroups(s)) {
    launch::cgroup::kill_and_remove(d);
    const std::string parent = d.substr(0, d.rfind('/'));
    ::rmdir(parent.c_str());  // policyrun/, when no other run uses it
  }
  held.reset();
  runtime::remove_tree(rt.dir(id));
  return 0;
}

int cmd_ps(Runtime& rt, const std::vector<std::string>& args) {
  std::string format = "table";
  po::options_description desc("ps options");
  desc.add_options()("format,f", po::value(&format), "table | json");
  Parsed p = parse(args, desc, "Usage: policyrun ps [--format json] ID");
  if (p.help) return 0;
  const State s = rt.load(need_id(p, "ps"));
  const std::vector<pid_t> pids = Runtime::pids(s);
  if (format == "json") {
    std::cout << nlohmann::json(pids).dump() << "\n";
  } else if (format == "table") {
    std::cout << "PID\n";
    for (pid_t pid : pids) std::cout << pid << "\n";
  } else {
    throw Error("ps: --format '" + format + "': give table or json");
  }
  return 0;
}

int cmd_exec(Runtime& rt, const std::vector<std::string>& args) {
  std::string process_file, pid_file, console_socket, cwd, user;
  std::vector<std::string> env;
  po::options_description desc("exec options");
  desc.add_options()("process,p", po::value(&process_file),
                     "a process.json (config.json's process object) to run")(
      "detach,d", "return once the command has started; it runs on")(
      "pid-file", po::value(&pid_file), "write the command's host pid here")(
      "console-socket", po::value(&console_socket),
      "with a terminal: send the pty master to this Unix socket")(
      "tty,t", "allocate a terminal (without --process)")("env,e", po::value(&env),
                                                          "K=V (without --process; repeatable)")(
      "cwd", po::value(&cwd), "working directory (without --process)")(
      "user,u", po::value(&user), "UID[:GID] (without --process)")(
      "no-new-privs", "accepted (the container's no_new_privileges applies)");
  // Options end at the id: what follows is the command and its own options.
  size_t id_at = 0;
  for (; id_at < args.size(); ++id_at) {
    const std::string& a = args[id_at];
    if (a == "--") break;
    if (a.empty() || a[0] != '-') break;
    static const std::set<std::string> with_value = {
        "--process", "-p",     "--pid-file", "--console-socket", "--env", "-e",
        "--cwd",     "--user", "-u"};
    if (with_value.count(a)) ++id_at;
  }
  const auto split = args.begin() + static_cast<std::ptrdiff_t>(std::min(id_at, args.size()));
  std::vector<std::string> options(args.begin(), split);
  std::vector<std::string> rest;
  if (split != args.end()) rest.assign(split + (*split == "--" ? 1 : 0), args.end());
  Parsed p = parse(options, desc,
                   "Usage: policyrun exec [--detach] [--pid-file F] --process FILE ID\n"
                   "       policyrun exec [-t] [-e K=V] [--cwd DIR] [-u UID:GID] ID CMD [ARG...]");
  if (p.help) return 0;
  p.positional.insert(p.positional.end(), rest.begin(), rest.end());
  if (p.positional.empty()) throw Error("exec: give the container's id");
  const std::string id = p.positional[0];
  const State s = rt.load(id);
  if (rt.status(s) == "stopped") throw Error("cannot exec in a stopped container");
  ContainerConfig container = load_confinement(rt.dir(id), s);

  nlohmann::json process;
  std::string name = process_file;
  if (!process_file.empty()) {
    if (p.positional.size() > 1)
      throw Error("exec: give either --process FILE or a command after the id, not both");
    const std::string text = launch::files::read(process_file);
    process = nlohmann::json::parse(text, nullptr, false);
    if (process.is_discarded()) throw Error(process_file + ": not valid JSON");
  } else {
    if (p.positional.size() < 2) throw Error("exec: give --process FILE or a command after the id");
    uint32_t uid = 0, gid = 0;
    if (!user.empty() && std::sscanf(user.c_str(), "%u:%u", &uid, &gid) < 1)
      throw Error("exec: --user '" + user + "': give UID[:GID] (numbers)");
    process = {{"args", std::vector<std::string>(p.positional.begin() + 1, p.positional.end())},
               {"env", env},
               {"cwd", cwd.empty() ? "/" : cwd},
               {"terminal", p.vm.count("tty") > 0},
               {"user", {{"uid", uid}, {"gid", gid}}}};
    name = "the command line";
  }
  ExecConfig ec = load_process(process, name, container);
  if (ec.process.terminal && console_socket.empty() && p.vm.count("detach"))
    throw Error("exec: a detached command with a terminal needs --console-socket");

  UniqueFd pidfd = Runtime::open_process(s);
  launch::ExecRequest req;
  req.pid = s.pid;
  req.pidfd = pidfd.get();
  req.policy = ec.policy.get();
  split_filters(container.filters, req.seccomp_filter, req.extra_filters);
  req.cgroup_dirs = Runtime::own_cgroups(s);
  req.argv = ec.process.args;
  req.env = ec.process.env;
  req.cwd = ec.process.cwd;
  req.user = ec.process.user;
  req.tty = ec.process.terminal;
  req.console_socket = console_socket;
  pid_t started = -1;
  if (p.vm.count("detach")) req.detached_pid = &started;
  const int status = launch::exec_in_container(req);
  if (p.vm.count("detach")) write_pid_file(pid_file, started);
  return status;
}

int cmd_features(Runtime&, const std::vector<std::string>& args) {
  po::options_description desc("features options");
  if (parse(args, desc, "Usage: policyrun features").help) return 0;
  std::cout << features().dump(2) << "\n";
  return 0;
}

[[noreturn]] void unsupported(const std::string& command) {
  std::string why =
      command == "pause" || command == "resume"
          ? "freezing a container is not implemented; kill it, or run it again"
      : command == "update"
          ? "change the limits in the policy or config.json and create the container again "
            "(`policyrun update NAME` does it for policyrun's own containers)"
      : command == "checkpoint" || command == "restore" ? "checkpointing (CRIU) is not supported"
      : command == "spec" ? "write config.json yourself, or take `runc spec`'s"
                          : "not implemented by policyrun";
  throw Error("'" + command + "' is not supported: " + why);
}

Globals parse_globals(int argc, char** argv, int& i) {
  Globals g;
  for (i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.empty() || a[0] != '-' || !is_global_option(a)) break;
    std::string value;
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else if (global_takes_value(a)) {
      if (i + 1 >= argc) throw Error(a + " needs a value");
      value = argv[++i];
    }
    if (a == "--root") g.root = value;
    if (a == "--log") g.log = value;
    if (a == "--log-format") {
      if (value != "json" && value != "text")
        throw Error("--log-format '" + value + "': give json or text");
      g.log_format = value;
    }
    if (a == "--debug") g.debug = true;
    if (a == "--systemd-cgroup")
      throw Error(
          "--systemd-cgroup is not supported: policyrun places containers in its own "
          "policyrun/ cgroup subtree; set SystemdCgroup = false in containerd's runc "
          "options (docs/kubernetes.md)");
    if (a == "--rootless" && value != "false" && value != "auto")
      throw Error("--rootless " + value + ": policyrun's OCI runtime runs as root only");
  }
  if (g.root.empty() || g.root[0] != '/') throw Error("--root '" + g.root + "' must be absolute");
  return g;
}

}  // namespace

bool is_runtime_command_line(int argc, char** argv) {
  int i = 1;
  bool globals = false;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (!is_global_option(a)) break;
    globals = true;
    if (a.find('=') == std::string::npos && global_takes_value(a)) ++i;
  }
  if (i >= argc) return globals;
  const std::string cmd = argv[i];
  return globals ? runtime_commands().count(cmd) > 0 : runtime_only_commands().count(cmd) > 0;
}

int runtime_main(int argc, char** argv) {
  Globals g;
  try {
    int i = 0;
    g = parse_globals(argc, argv, i);
    if (i >= argc)
      throw Error("give a command: create, start, state, kill, delete, exec, ps, features");
    const std::string command = argv[i];
    std::vector<std::string> args(argv + i + 1, argv + argc);
    Runtime rt(g);
    if (g.debug) log_line(g, "debug", "policyrun " + command);
    if (command == "create") return cmd_create(rt, args);
    if (command == "start") return cmd_start(rt, args);
    if (command == "state") return cmd_state(rt, args);
    if (command == "kill") return cmd_kill(rt, args);
    if (command == "delete") return cmd_delete(rt, args);
    if (command == "ps") return cmd_ps(rt, args);
    if (command == "exec") return cmd_exec(rt, args);
    if (command == "features") return cmd_features(rt, args);
    unsupported(command);
  } catch (const launch::LaunchError& e) {
    log_line(g, "error", e.what());
    std::cerr << "policyrun: error: " << e.what() << "\n";
    return e.exit_code() == launch::kExitRuntimeError ? 1 : e.exit_code();
  } catch (const std::exception& e) {
    log_line(g, "error", e.what());
    std::cerr << "policyrun: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace policy::oci
