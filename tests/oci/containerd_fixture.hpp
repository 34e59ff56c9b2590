// A private containerd for the OCI runtime's tests: Debian's containerd, started by the test in
// a mount namespace of its own (its snapshot and bundle mounts never reach the host's), on a
// socket, root and state directory under a fresh /tmp directory, with the CRI plugin off. The
// test images are imported into a containerd namespace of the test's; `ctr` drives it with
// policyrun (or runc, the judge) as the runtime binary.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace oci_test {

struct Cmd {
  int status = -1;  // exit status; -1 when killed or timed out
  std::string out, err;
};
// Runs argv (each quoted) with stdin from /dev/null, killed after `timeout_s` seconds.
Cmd run(const std::vector<std::string>& argv, int timeout_s = 120);
// The containerd shims whose command line names `socket` (a containerd's socket or directory):
// those a test's own containerd started.
std::vector<pid_t> our_shims(const std::string& socket);
// Starts argv (argv[0] absolute) in a process group of its own, stdout and stderr to `log`.
pid_t spawn_daemon(const std::vector<std::string>& argv, const std::string& log);
// SIGTERM to the process group of `pid`, up to `grace_ms` for it to exit, then SIGKILL; reaped.
void stop_daemon(pid_t pid, int grace_ms) noexcept;

class Containerd {
 public:
  // Starts containerd and waits for its socket. Throws std::runtime_error with containerd's
  // log when it cannot start. `why_not` (static) says why it cannot run here, else "".
  Containerd();
  ~Containerd();  // stops containerd (and the shims it started), removes the directory
  Containerd(const Containerd&) = delete;
  Containerd& operator=(const Containerd&) = delete;
  static std::string why_not();

  // `ctr -a SOCKET -n NAMESPACE args...`
  Cmd ctr(const std::vector<std::string>& args, int timeout_s = 120) const;
  // Imports an OCI layout directory as image `name` (once).
  void import_layout(const std::string& layout_dir, const std::string& name) const;
  // `ctr run` options that make `runtime` the container's runtime binary, its state under
  // runtime_root(), the cgroup path of container `id` in the project's policyrun/ subtree.
  std::vector<std::string> runtime_options(const std::string& runtime, const std::string& id) const;
  std::string runtime_root(const std::string& runtime) const;
  const std::string& dir() const { return dir_; }
  std::string log() const;

 private:
  void stop() noexcept;
  std::string dir_, socket_;
  pid_t pid_ = -1;
};

}  // namespace oci_test
