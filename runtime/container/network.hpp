// A container's private network: its own network namespace, given outbound access and published
// ports by pasta (Debian's `passt` package), a user-mode network stack that copies the host's
// address and routes into the namespace and forwards connections at the socket level
// (docs/networking.md says why pasta and not slirp4netns or a veth pair with NAT rules).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "runtime/common/unique_fd.hpp"
#include "runtime/container/store.hpp"
#include "runtime/launch/identity.hpp"
#include "runtime/launch/launch.hpp"

namespace policy::container {

// `-p [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]` (Docker's form; `HOSTPORT` alone is not
// accepted: the host port is always said). Throws policy::Error naming the flag's value.
Port parse_port(const std::string& spec);
std::string port_string(const Port& p);  // back to Docker's form

// The host's route out: the interface of its default IPv4 route, that interface's address and
// the route's gateway, as pasta copies them into the namespace (--config-net). Empty strings when
// the host has no default route.
struct HostRoute {
  std::string interface, address, gateway;
};
HostRoute host_route();

// Starts pasta for the container's new network namespace while the container's process waits
// (RunObserver::created), and returns once the namespace has its address and default route, so
// the command starts with a working network. Pasta runs as a child of the process that calls
// launch() and dies with it (PR_SET_PDEATHSIG), or when this object is destroyed.
class PrivateNetwork : public launch::RunObserver {
 public:
  explicit PrivateNetwork(std::vector<Port> ports);
  ~PrivateNetwork() override;
  PrivateNetwork(const PrivateNetwork&) = delete;
  PrivateNetwork& operator=(const PrivateNetwork&) = delete;

  // What /etc/hosts and /etc/resolv.conf say in the container: its address (the host's, which
  // pasta copies) and, when the host's nameservers are on its loopback, pasta's DNS forwarder
  // at the gateway address.
  const launch::identity::NetworkNames& names() const { return names_; }
  pid_t helper_pid() const { return helper_; }
  const std::vector<Port>& ports() const { return ports_; }

  // The container's state, which gets pasta's pid once pasta runs (saved by the store's
  // Recorder when the command starts).
  void record_into(State* state) { state_ = state; }

  bool wants_created() const override { return true; }
  void created(pid_t pid, int pidfd) override;

  // Stops pasta (SIGKILL) and reaps it; the destructor does it too.
  void stop();

 private:
  std::vector<std::string> arguments() const;
  void wait_until_configured(pid_t container, int pidfd);

  std::vector<Port> ports_;
  HostRoute route_;
  bool forward_dns_ = false;  // the host's nameservers are on its loopback: --dns-forward
  launch::identity::NetworkNames names_;
  State* state_ = nullptr;
  pid_t helper_ = -1;
  runtime::UniqueFd helper_fd_;  // pidfd of pasta
  runtime::UniqueFd log_;        // pasta's stderr (a memfd): its error when it fails to start
};

}  // namespace policy::container
