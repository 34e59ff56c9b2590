// A private Docker daemon for the OCI runtime's tests: Debian's dockerd (docker.io), started by
// the test in a mount namespace of its own (its overlay mounts never reach the host's), with its
// data root, exec root, pid file and socket under a fresh /tmp directory, and every host network
// change off (no bridge, iptables, forwarding or masquerade). dockerd starts its own containerd
// under its exec root. policyrun is registered as the runtime "policyrun"; the containers' cgroup
// parent is `policyrun/<the directory's name>`, removed when the daemon stops.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "oci/containerd_fixture.hpp"

namespace oci_test {

class Dockerd {
 public:
  // Starts dockerd with `policyrun` registered and waits for its socket. Throws
  // std::runtime_error with dockerd's log when it cannot start.
  explicit Dockerd(const std::string& policyrun);
  ~Dockerd();  // stops dockerd (its containerd and shims), removes the cgroups and the directory
  Dockerd(const Dockerd&) = delete;
  Dockerd& operator=(const Dockerd&) = delete;
  // Why it cannot run here (a missing tool), else "".
  static std::string why_not();

  // `docker -H SOCKET args...`
  Cmd docker(const std::vector<std::string>& args, int timeout_s = 60) const;
  // Loads an OCI layout `DIR:TAG` as image `name` (skopeo makes the `docker load` archive).
  void load_layout(const std::string& layout_ref, const std::string& name) const;
  const std::string& dir() const { return dir_; }
  std::string log() const;

 private:
  void stop() noexcept;
  std::string dir_, socket_, cgroup_parent_;
  pid_t pid_ = -1;
};

}  // namespace oci_test
