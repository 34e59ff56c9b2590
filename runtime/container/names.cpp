#include "runtime/container/names.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compiler/common/error.hpp"

namespace policy::container {
namespace {

State find_running(Store& store, const std::string& what, const std::string& name) {
  State s;
  try {
    s = store.find(name);
  } catch (const Error& e) {
    throw Error(what + ": " + e.what());
  }
  if (s.status != Status::Running)
    throw Error(what + ": the container is not running (" + status_name(s.status) +
                "): start it first, or share the namespace of one that runs");
  return s;
}

}  // namespace

SharedNamespaces resolve_shared_namespaces(ir::NamespacePlan& plan, Store& store) {
  SharedNamespaces out;
  for (ir::NamespaceSpec& ns : plan.namespaces) {
    if (ns.container.empty()) continue;
    const std::string what = std::string(ir::namespace_name(ns.kind)) + " container " +
                             ns.container + (ns.loc.known() ? " (" + ns.loc.str() + ")" : "");
    State s = find_running(store, what, ns.container);
    runtime::UniqueFd init = open_init(s);
    if (!init.valid())
      throw Error(what + ": the container is not running (its process " + std::to_string(s.pid) +
                  " has exited)");
    const std::string path =
        "/proc/" + std::to_string(s.pid) + "/ns/" + ir::namespace_proc_name(ns.kind);
    runtime::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    // The pid is the container's as long as its pidfd says the process lives: checked after
    // the open, so the namespace cannot be a reused pid's.
    const bool alive = ::syscall(SYS_pidfd_send_signal, init.get(), 0, nullptr, 0) == 0;
    if (!fd.valid() || !alive)
      throw Error(what + ": the container is not running (its process " + std::to_string(s.pid) +
                  " has exited)");
    ns.join_path = "/proc/self/fd/" + std::to_string(fd.get());
    out.fds.push_back(std::move(fd));
    bool known = false;
    for (const State& c : out.containers) known = known || c.id == s.id;
    if (!known) out.containers.push_back(std::move(s));
  }
  return out;
}

}  // namespace policy::container
