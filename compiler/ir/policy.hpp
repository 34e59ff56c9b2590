// The Policy IR: one resolved model of a whole policy, every layer. Produced by
// compiler/frontend (resolve) or compiler/importer; consumed by every backend and by runtime/.
#pragma once

#include <string>
#include <vector>

#include "compiler/common/source.hpp"
#include "compiler/ir/capability_sets.hpp"
#include "compiler/ir/filesystem.hpp"
#include "compiler/ir/network.hpp"
#include "compiler/ir/runtime_plan.hpp"
#include "compiler/ir/seccomp.hpp"

namespace policy::ir {

struct Policy {
  std::string name;
  SourceLoc loc;
  std::vector<std::string> bases;  // extends chain, nearest first (for reports)
  SeccompPolicy seccomp;
  CapabilitySets capabilities;
  FilesystemPolicy filesystem;
  NetworkPolicy network;
  NamespacePlan namespaces;
  ResourceLimits resources;
  ProcessPlan process;
  RootfsPlan rootfs;
  std::vector<Sysctl> sysctls;  // namespaced sysctls, set in the container's namespaces
};

}  // namespace policy::ir
