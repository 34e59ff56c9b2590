#include "oci/docker_fixture.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "launch/launch_fixture.hpp"

namespace fs = std::filesystem;

namespace oci_test {

// dockerd's data root: a tmpfs of its own mount namespace (nothing to delete from the disk).
constexpr const char* kMountThenExec =
    "mount -t tmpfs -o size=2g,mode=0700 policyrun-docker \"$0\" && exec \"$@\"";

std::string Dockerd::why_not() {
  for (const char* tool :
       {"/usr/sbin/dockerd", "/usr/bin/docker", "/usr/bin/skopeo", "/usr/bin/unshare"})
    if (::access(tool, X_OK) != 0)
      return std::string(tool) +
             " is missing (Debian's docker.io and skopeo packages; tools/install-deps "
             "installs them)";
  return "";
}

Dockerd::Dockerd(const std::string& policyrun) {
  char tmpl[] = "/tmp/pr-dk-XXXXXX";  // short: the sockets' paths must fit sun_path
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  socket_ = dir_ + "/d.sock";
  cgroup_parent_ = "/policyrun/docker-" + fs::path(dir_).filename().string().substr(6);
  fs::create_directory(dir_ + "/data");
  // The data root (the image's layers, the containers' upper layers) is a tmpfs of dockerd's
  // mount namespace: it goes with the namespace, with no files to remove from the disk.
  const std::vector<std::string> args = {"/usr/bin/unshare",
                                         "--mount",
                                         "--propagation",
                                         "private",
                                         "/bin/sh",
                                         "-c",
                                         kMountThenExec,
                                         dir_ + "/data",
                                         "/usr/sbin/dockerd",
                                         "--data-root",
                                         dir_ + "/data",
                                         "--exec-root",
                                         dir_ + "/exec",
                                         "--pidfile",
                                         dir_ + "/dockerd.pid",
                                         "-H",
                                         "unix://" + socket_,
                                         "--iptables=false",
                                         "--ip6tables=false",
                                         "--bridge=none",
                                         "--ip-forward=false",
                                         "--ip-masq=false",
                                         "--userland-proxy=false",
                                         "--cgroup-parent",
                                         cgroup_parent_,
                                         "--add-runtime",
                                         "policyrun=" + policyrun};
  pid_ = spawn_daemon(args, dir_ + "/dockerd.log");
  for (int i = 0; i < 200; ++i) {
    if (docker({"version"}, 10).status == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string l = log();
  stop();
  throw std::runtime_error("dockerd did not start in 20 s:\n" + l);
}

Dockerd::~Dockerd() {
  stop();
}

void Dockerd::stop() noexcept {
  stop_daemon(pid_, 15000);  // dockerd stops its containerd
  pid_ = -1;
  std::error_code ec;
  if (dir_.empty()) return;
  for (pid_t shim : our_shims(dir_)) ::kill(shim, SIGKILL);
  // The cgroup parent, in each v1 hierarchy or the v2 one (the containers' own are gone).
  for (const auto& e : fs::directory_iterator("/sys/fs/cgroup", ec))
    ::rmdir((e.path().string() + cgroup_parent_).c_str());
  ::rmdir(("/sys/fs/cgroup" + cgroup_parent_).c_str());
  fs::remove_all(dir_, ec);  // its mounts went with its mount namespace
  dir_.clear();
}

std::string Dockerd::log() const {
  return launch_test::slurp(dir_ + "/dockerd.log");
}

Cmd Dockerd::docker(const std::vector<std::string>& args, int timeout_s) const {
  std::vector<std::string> argv = {"/usr/bin/docker", "-H", "unix://" + socket_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, timeout_s);
}

void Dockerd::load_layout(const std::string& layout_ref, const std::string& name) const {
  const std::string tar = dir_ + "/image.tar";
  Cmd c = run(
      {"/usr/bin/skopeo", "copy", "oci:" + layout_ref, "docker-archive:" + tar + ":" + name}, 120);
  if (c.status != 0) throw std::runtime_error("skopeo copy of " + layout_ref + ": " + c.err);
  Cmd l = docker({"load", "-i", tar}, 120);
  if (l.status != 0) throw std::runtime_error("docker load: " + l.out + l.err);
  fs::remove(tar);
}

}  // namespace oci_test
