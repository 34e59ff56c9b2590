// The namespaces a policy (`net container db`) or the command line (`--network container:db`)
// shares with a running container, resolved by name through the container store when the
// launch starts (docs/networking.md).
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"
#include "runtime/common/unique_fd.hpp"
#include "runtime/container/store.hpp"

namespace policy::container {

struct SharedNamespaces {
  // The namespaces, open until the launch has joined them (join_path is /proc/self/fd/N).
  std::vector<runtime::UniqueFd> fds;
  std::vector<State> containers;  // whose namespaces are joined, once each
};

// For every namespace of `plan` that names a container: finds it (Store::find), checks that it
// is running and that its first process is still the one the store recorded (pid + starttime),
// opens that process's /proc/PID/ns/KIND and points join_path at the open namespace. Throws
// policy::Error naming the namespace and the container: "net container db: no such container:
// db", "net container db: the container is not running (exited)".
SharedNamespaces resolve_shared_namespaces(ir::NamespacePlan& plan, Store& store);

}  // namespace policy::container
