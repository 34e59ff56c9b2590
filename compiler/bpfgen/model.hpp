// The decision the filter must take for every (architecture, syscall number): the IR's rules
// resolved per architecture, exactly as docs/language.md ("Which rule decides") and the libseccomp
// backend read them. Code generation and the statistics both start from here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/seccomp.hpp"

namespace policy::bpfgen {

// One rule with an argument condition, as it applies on one architecture.
struct ConditionalRule {
  ir::Condition condition;
  ir::Action action;
};

// Everything that decides one syscall on one architecture: the conditional rules in order,
// then `fallback` (the unconditional rule's action, or the policy's default).
struct SyscallDecision {
  std::string name;
  std::vector<ConditionalRule> conditional;
  ir::Action fallback;
  bool has_unconditional = false;
  // Some rule allows this syscall (it counts as an "allowed syscall" in the statistics).
  bool allows() const;
};

struct ArchModel {
  uint32_t token = 0;       // libseccomp's SCMP_ARCH_* token
  uint32_t audit_arch = 0;  // what the kernel puts in seccomp_data.arch
  bool narrow = false;      // libseccomp compares this arch's arguments as 32-bit values
  bool little_endian = true;
  std::map<uint32_t, SyscallDecision> syscalls;  // number as the filter sees it (x32 bit included)
};

struct PolicyModel {
  ir::Action default_action;
  uint32_t default_ret = 0;
  uint32_t bad_arch_ret = 0;
  std::vector<ArchModel> arches;  // target order; first = native
};

ir::KernelVersion effective_kernel(const ir::SeccompPolicy& policy,
                                   std::optional<ir::KernelVersion> kernel);
PolicyModel build_model(const ir::SeccompPolicy& policy, std::optional<ir::KernelVersion> kernel);

}  // namespace policy::bpfgen
