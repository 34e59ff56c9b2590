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

// What the policy took away from its bases with `-X` (docs/language.md, "Removals"), one entry
// per thing removed (a group removal: one per syscall it took away). For the reports, which show
// the removal at its own place rather than at the base's rule.
struct Removal {
  std::string section;  // syscalls, capabilities, namespaces, rootfs, filesystem
  std::string name;     // ptrace, CAP_NET_RAW, pid, /tmp, /etc/** (as the layers name them)
  SourceLoc loc;        // the `-X` that removed it
};

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
  std::vector<Removal> removals;

  // The removal that took `name` of `section` away from the bases, if any.
  const Removal* removal(const std::string& section, const std::string& name) const {
    for (const Removal& r : removals)
      if (r.section == section && r.name == name) return &r;
    return nullptr;
  }
};

}  // namespace policy::ir
