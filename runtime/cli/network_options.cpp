#include "runtime/cli/network_options.hpp"

#include <algorithm>

#include "compiler/common/diagnostics.hpp"
#include "compiler/common/error.hpp"
#include "compiler/frontend/resolve.hpp"

namespace po = boost::program_options;

namespace policy::cli {
namespace {

using ir::NamespaceKind;

enum class Mode { Unchanged, Host, New, Container };

struct Choice {
  Mode mode = Mode::Unchanged;
  std::string container;
};

// One flag's value: host, private (none/private for the network), container:NAME.
Choice parse_choice(const std::string& flag, const std::string& value, bool container_allowed,
                    const std::vector<std::string>& new_words) {
  Choice c;
  if (value.empty()) return c;
  if (value == "host") {
    c.mode = Mode::Host;
  } else if (std::find(new_words.begin(), new_words.end(), value) != new_words.end()) {
    c.mode = Mode::New;
  } else if (container_allowed && value.rfind("container:", 0) == 0 && value.size() > 10) {
    c.mode = Mode::Container;
    c.container = value.substr(10);
  } else {
    std::string words;
    for (const auto& w : new_words) words += w + ", ";
    throw Error(flag + " must be " + words + "host" +
                (container_allowed ? " or container:NAME" : "") + " (got '" + value + "')");
  }
  return c;
}

// How the policy has this kind: "its own", "the host's", "container db's".
std::string describe(const ir::NamespacePlan& plan, NamespaceKind kind) {
  for (const auto& ns : plan.namespaces)
    if (ns.kind == kind) {
      if (!ns.container.empty()) return "container " + ns.container + "'s";
      return ns.join_path.empty() ? "one of its own" : ns.join_path;
    }
  return "the host's";
}

// Applies one choice over the policy's namespace of that kind; says on `log` when the container
// ends up sharing what the policy kept to itself.
void apply_choice(ir::NamespacePlan& plan, NamespaceKind kind, const Choice& c,
                  const std::string& flag, std::string& notes) {
  if (c.mode == Mode::Unchanged) return;
  auto it = std::find_if(plan.namespaces.begin(), plan.namespaces.end(),
                         [&](const ir::NamespaceSpec& n) { return n.kind == kind; });
  const bool policy_own = it != plan.namespaces.end() && it->creates();
  const std::string before = describe(plan, kind);
  if (c.mode == Mode::Host) {
    if (it != plan.namespaces.end()) plan.namespaces.erase(it);
  } else {
    ir::NamespaceSpec spec{kind, "", {}, c.container};
    if (it != plan.namespaces.end())
      *it = spec;
    else
      plan.namespaces.push_back(spec);
  }
  if (policy_own && c.mode != Mode::New)
    notes += "policyrun: note: " + flag + " widens the policy: the container shares " +
             describe(plan, kind) + " " + ir::namespace_name(kind) +
             " namespace (the policy gives it " + before + ")\n";
}

// A sysctl the policy writes needs a new namespace of its kind: the flags must not move it to
// the host's (or another container's).
void check_sysctls_still_own(const ir::Policy& policy) {
  DiagnosticEngine diags;
  frontend::check_sysctls(policy, diags);
  if (!diags.has_errors()) return;
  const Diagnostic& d = diags.diagnostics().front();
  throw Error((d.loc.known() ? d.loc.str() + ": " : "") + d.message +
              " (the namespace flags of policyrun run took it away)");
}

}  // namespace

void add_network_options(po::options_description& desc, NetworkOptions& o) {
  desc.add_options()("network", po::value(&o.network),
                     "none | host | private | container:NAME: the container's network "
                     "(private: its own namespace with outbound access through pasta)")(
      "net", po::value(&o.net), "the same as --network")(
      "pid", po::value(&o.pid), "host | private | container:NAME: the pid namespace")(
      "ipc", po::value(&o.ipc), "host | private | container:NAME: the IPC namespace")(
      "uts", po::value(&o.uts), "host | private: the UTS namespace (hostname)")(
      "publish,p", po::value(&o.publish),
      "[HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]: publish a port of the container on the host "
      "(repeatable; implies a private network)");
}

bool network_option_takes_value(const std::string& a) {
  for (const char* o : {"--network", "--net", "--pid", "--ipc", "--uts", "-p", "--publish"})
    if (a == o) return true;
  return false;
}

std::unique_ptr<NetworkSetup> apply_network_options(const NetworkOptions& o, ir::Policy& policy,
                                                    const std::string& root,
                                                    launch::LaunchRequest& req, std::ostream& log) {
  auto setup = std::make_unique<NetworkSetup>();
  if (!o.network.empty() && !o.net.empty() && o.network != o.net)
    throw Error("--network " + o.network + " and --net " + o.net + " disagree: give one");
  const std::string network_value = o.network.empty() ? o.net : o.network;
  Choice net = parse_choice("--network", network_value, true, {"none", "private", "bridge"});
  const bool private_net = network_value == "private" || network_value == "bridge" ||
                           (network_value.empty() && !o.publish.empty());
  std::vector<container::Port> ports;
  for (const auto& p : o.publish) ports.push_back(container::parse_port(p));
  ir::NamespacePlan& plan = policy.namespaces;

  if (!ports.empty() && !network_value.empty() && !private_net)
    throw Error("-p/--publish needs a private network, not --network " + network_value +
                ": use --network private (or leave --network out)");
  auto net_it =
      std::find_if(plan.namespaces.begin(), plan.namespaces.end(),
                   [](const ir::NamespaceSpec& n) { return n.kind == NamespaceKind::Net; });
  const bool policy_own_net = net_it != plan.namespaces.end() && net_it->creates();
  if (!ports.empty() && network_value.empty()) {
    if (!policy_own_net)
      throw Error(
          "-p/--publish needs a network namespace of the container's own, and the "
          "policy gives it " +
          describe(plan, NamespaceKind::Net) +
          " network namespace: add --network private (or 'net' to the policy's "
          "namespaces section)");
  }
  std::string notes;  // said once everything is known to work
  apply_choice(plan, NamespaceKind::Net, net, "--network " + network_value, notes);
  apply_choice(plan, NamespaceKind::Pid, parse_choice("--pid", o.pid, true, {"private"}),
               "--pid " + o.pid, notes);
  apply_choice(plan, NamespaceKind::Ipc, parse_choice("--ipc", o.ipc, true, {"private"}),
               "--ipc " + o.ipc, notes);
  apply_choice(plan, NamespaceKind::Uts, parse_choice("--uts", o.uts, false, {"private"}),
               "--uts " + o.uts, notes);
  check_sysctls_still_own(policy);

  // The namespaces of other containers (the flags' and the policy's own `container NAME`).
  const bool shares = std::any_of(plan.namespaces.begin(), plan.namespaces.end(),
                                  [](const ir::NamespaceSpec& n) { return !n.container.empty(); });
  std::string net_container;
  for (const auto& ns : plan.namespaces)
    if (ns.kind == NamespaceKind::Net && !ns.container.empty()) net_container = ns.container;
  if (shares) {
    container::Store store(root);
    setup->shared = container::resolve_shared_namespaces(plan, store);
  }
  if (!net_container.empty()) {
    setup->network = "container:" + net_container;
    for (const container::State& s : setup->shared.containers) {
      if (s.name != net_container && s.id != net_container) continue;
      auto address = s.labels.find("address");  // a private network's (NetworkSetup::record)
      req.network.peers.push_back(
          {address == s.labels.end() ? "127.0.0.1" : address->second, s.name});
    }
  } else if (private_net) {
    if (policy_own_net)
      notes += "policyrun: note: " +
               (ports.empty() ? "--network " + network_value : std::string("-p/--publish")) +
               " widens the policy: the container's network namespace gets outbound access "
               "through pasta (the policy gives it loopback only)\n";
    setup->network = "private";
    setup->private_network = std::make_unique<container::PrivateNetwork>(ports);
    req.network = setup->private_network->names();
    req.observers.insert(req.observers.begin(), setup->private_network.get());
  } else if (!network_value.empty()) {
    setup->network = network_value;
  }
  log << notes;
  return setup;
}

void NetworkSetup::record(container::State& s) const {
  s.network = network;
  if (!private_network) return;
  s.ports = private_network->ports();
  private_network->record_into(&s);
  if (!private_network->names().address.empty())
    s.labels["address"] = private_network->names().address;
}

}  // namespace policy::cli
