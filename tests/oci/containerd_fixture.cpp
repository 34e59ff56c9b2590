#include "oci/containerd_fixture.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "launch/launch_fixture.hpp"

namespace fs = std::filesystem;

namespace oci_test {

Cmd run(const std::vector<std::string>& argv, int timeout_s) {
  static int serial = 0;
  std::string cmd = "timeout -s KILL " + std::to_string(timeout_s);
  for (const auto& a : argv) cmd += " " + launch_test::shell_quote(a);
  const std::string base = launch_test::scratch() + "/cmd-" + std::to_string(++serial);
  cmd += " </dev/null >" + base + ".out 2>" + base + ".err";
  const int rc = std::system(cmd.c_str());
  return Cmd{WIFEXITED(rc) && WEXITSTATUS(rc) != 137 ? WEXITSTATUS(rc) : -1,
             launch_test::slurp(base + ".out"), launch_test::slurp(base + ".err")};
}

pid_t spawn_daemon(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    if (!std::freopen(log.c_str(), "w", stdout) || !std::freopen(log.c_str(), "a", stderr))
      ::_exit(127);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

void stop_daemon(pid_t pid, int grace_ms) noexcept {
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < grace_ms / 50 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, &status, 0);
}

std::string Containerd::why_not() {
  for (const char* tool : {"/usr/bin/containerd", "/usr/bin/ctr",
                           "/usr/bin/containerd-shim-runc-v2", "/usr/bin/unshare"})
    if (::access(tool, X_OK) != 0)
      return std::string(tool) +
             " is missing (Debian's containerd package; tools/install-deps "
             "installs it)";
  return "";
}

Containerd::Containerd() {
  char tmpl[] = "/tmp/pr-ctd-XXXXXX";  // short: the socket path must fit sun_path
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  socket_ = dir_ + "/c.sock";
  std::ofstream(dir_ + "/config.toml")
      << "version = 2\n"
      << "root = \"" << dir_ << "/root\"\n"
      << "state = \"" << dir_ << "/state\"\n"
      << "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
         "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", "
         "\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.snapshotter.v1.devmapper\", "
         "\"io.containerd.internal.v1.tracing\", \"io.containerd.tracing.processor.v1.otlp\"]\n"
      << "[grpc]\n  address = \"" << socket_ << "\"\n"
      << "[ttrpc]\n  address = \"" << socket_ << ".ttrpc\"\n"
      << "[debug]\n  address = \"\"\n"
      << "[metrics]\n  address = \"\"\n";
  // Its own mount namespace, private: the snapshots it mounts stay in it.
  pid_ = spawn_daemon({"/usr/bin/unshare", "--mount", "--propagation", "private",
                       "/usr/bin/containerd", "--config", dir_ + "/config.toml"},
                      dir_ + "/containerd.log");
  for (int i = 0; i < 200; ++i) {
    if (ctr({"version"}, 10).status == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string l = log();
  stop();
  throw std::runtime_error("containerd did not start in 10 s:\n" + l);
}

std::vector<pid_t> our_shims(const std::string& socket) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::string cmdline = launch_test::slurp("/proc/" + std::string(e->d_name) + "/cmdline");
    for (char& c : cmdline)
      if (c == '\0') c = ' ';
    if (cmdline.find("containerd-shim") != std::string::npos &&
        cmdline.find(socket) != std::string::npos)
      out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

Containerd::~Containerd() {
  stop();
}

// runc removes its leaf cgroup only: the policyrun/ directory above it goes when it is empty
// (rmdir fails harmlessly while another run uses it).
static void remove_empty_policyrun_cgroups() {
  std::istringstream in(launch_test::slurp("/proc/self/cgroup"));
  for (std::string line; std::getline(in, line);) {
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controller = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (controller.rfind("name=", 0) == 0) controller = controller.substr(5);
    for (const std::string& mount : {controller.empty() ? std::string("/sys/fs/cgroup/unified")
                                                        : "/sys/fs/cgroup/" + controller,
                                     std::string("/sys/fs/cgroup")})
      ::rmdir((mount + (path == "/" ? "" : path) + "/policyrun").c_str());
  }
}

void Containerd::stop() noexcept {
  stop_daemon(pid_, 5000);
  pid_ = -1;
  for (pid_t shim : our_shims(socket_)) ::kill(shim, SIGKILL);
  remove_empty_policyrun_cgroups();
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);  // its mounts went with its mount namespace
  dir_.clear();
}

std::string Containerd::log() const {
  return launch_test::slurp(dir_ + "/containerd.log");
}

Cmd Containerd::ctr(const std::vector<std::string>& args, int timeout_s) const {
  std::vector<std::string> argv = {"/usr/bin/ctr", "-a", socket_, "-n", "policyrun-test"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, timeout_s);
}

void Containerd::import_layout(const std::string& layout_dir, const std::string& name) const {
  const std::string tar = dir_ + "/" + std::to_string(std::hash<std::string>{}(name)) + ".tar";
  Cmd t = run({"tar", "-C", layout_dir, "-cf", tar, "."});
  if (t.status != 0) throw std::runtime_error("tar of " + layout_dir + ": " + t.err);
  Cmd i = ctr({"images", "import", "--index-name", name, tar}, 300);
  if (i.status != 0) throw std::runtime_error("ctr images import: " + i.out + i.err);
  fs::remove(tar);
}

std::string Containerd::runtime_root(const std::string& runtime) const {
  return dir_ + "/" + fs::path(runtime).filename().string() + "-root";
}

std::vector<std::string> Containerd::runtime_options(const std::string& runtime,
                                                     const std::string& id) const {
  // The cgroup path a runtime honours (runc does; policyrun always uses policyrun/oci-<id>):
  // relative, so below the shim's own cgroup, in the project's policyrun/ subtree; ctr's default
  // (/<namespace>/<id>) would create cgroups at the hierarchies' roots.
  return {"--runc-binary",       runtime,    "--runc-root",
          runtime_root(runtime), "--cgroup", "policyrun/ctr-" + id};
}

}  // namespace oci_test
