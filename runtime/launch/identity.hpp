// The container's identity as Docker provides it: its hostname (the policy's, else the short id
// of the run in a new uts namespace), HOSTNAME and HOME in its environment, and its own
// /etc/hostname, /etc/hosts and /etc/resolv.conf (docs/runtime.md "The container's identity").
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace policy::launch::identity {

// The policy's hostname; else, in a new uts namespace, the first 12 characters of the run id
// (Docker's short container id); else the host's own name (the uts namespace is shared).
std::string hostname(const std::optional<std::string>& policy_hostname, bool new_uts,
                     const std::string& run_id);

// What /etc/hosts and /etc/resolv.conf say of a container with a network of its own beyond
// loopback (a private network, or another container's: runtime/container/network.hpp).
struct NetworkNames {
  std::string address;  // the container's own address (its hostname's); empty: 127.0.1.1
  // The containers it shares its network with: address and name, as Docker's links.
  std::vector<std::pair<std::string, std::string>> peers;
  // The nameservers that work from the container (pasta's DNS forwarder when the host's are on
  // its loopback); empty: the host's that the container can reach.
  std::vector<std::string> nameservers;
  bool any() const { return !address.empty() || !peers.empty() || !nameservers.empty(); }
};

// The contents of the three files, made by the parent before the clone (it reads the host's
// /etc/hosts and /etc/resolv.conf there). `new_netns`: the container does not share the host's
// network (its own loopback, a private network or another container's: `names`).
struct EtcFiles {
  std::string hostname, hosts, resolv_conf;
};
EtcFiles etc_files(const std::string& hostname, bool new_netns, const NetworkNames& names = {});

// Docker's resolv.conf for a container in a network namespace of its own: the host's file
// without nameservers on the host's loopback (127.0.0.0/8, ::1), which the container cannot
// reach; when none is left, Google's public servers, as Docker falls back to. `nameservers`,
// when given, replace the host's.
std::string container_resolv_conf(const std::string& host_resolv_conf,
                                  const std::vector<std::string>& nameservers = {});
// Whether a nameserver address is on the host's loopback (out of a container's reach).
bool loopback_address(const std::string& address);

// Child, before pivot_root, after /dev is built: writes the files on the container's own /dev
// tmpfs, binds each over /etc/<name> (read-only when `readonly`), and removes the sources from
// /dev. A target that is a symlink (or passes through one) or not a regular file is left as the
// image made it, with a warning on `log`: nothing is ever mounted through an image's symlink.
void provide_etc_files(int root, const EtcFiles& files, bool readonly, std::ostream& log);

// Adds HOME (the user's home, user::resolve_identity) and HOSTNAME to `env` unless it has them.
void add_home(std::vector<std::string>& env, const std::string& home);
void add_hostname(std::vector<std::string>& env, const std::string& hostname);

}  // namespace policy::launch::identity
