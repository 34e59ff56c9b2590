// policyrun run's namespace and network flags, as Docker spells them: --network (--net),
// --pid, --ipc, --uts and -p/--publish. They apply over the policy's namespaces section, with a
// note on stderr when one widens what the policy isolates (docs/cli-policyrun.md,
// docs/networking.md).
#pragma once

#include <boost/program_options.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/container/names.hpp"
#include "runtime/container/network.hpp"
#include "runtime/container/store.hpp"
#include "runtime/launch/launch.hpp"

namespace policy::cli {

struct NetworkOptions {
  std::string network, net;   // --network and its alias --net: none|host|private|container:NAME
  std::string pid, ipc, uts;  // host|private (|container:NAME for pid and ipc)
  std::vector<std::string> publish;  // -p [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]
};

void add_network_options(boost::program_options::options_description& desc, NetworkOptions& o);
// Whether `arg` is one of these flags written without `=` (its value is the next argument).
bool network_option_takes_value(const std::string& arg);

// What the flags set up, kept until launch() returns.
struct NetworkSetup {
  container::SharedNamespaces shared;  // the namespaces of other containers, open
  std::unique_ptr<container::PrivateNetwork> private_network;  // pasta, for -p / private
  std::string network;  // State::network: none | host | private | container:NAME | ""
  // The container's state: its network, its published ports, its address, and (once pasta runs)
  // pasta's pid; `s` must live until launch() returns.
  void record(container::State& s) const;
};

// Applies the flags over `policy`'s namespaces, resolves every `KIND container NAME` (the
// policy's and the flags') through the store under `root`, and prepares the private network:
// its observer and the names of /etc/hosts go into `req`. Throws policy::Error for a bad value,
// a container that does not run, or a combination that cannot work (-p with --network host).
std::unique_ptr<NetworkSetup> apply_network_options(const NetworkOptions& o, ir::Policy& policy,
                                                    const std::string& root,
                                                    launch::LaunchRequest& req, std::ostream& log);

}  // namespace policy::cli
