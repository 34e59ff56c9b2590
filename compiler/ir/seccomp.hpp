// The seccomp part of the Policy IR: what the filter must decide for every (arch, syscall, args).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::ir {

enum class ActionKind { Allow, Errno, KillProcess, KillThread, Trap, Log, Trace, UserNotify };

struct Action {
  ActionKind kind = ActionKind::Allow;
  uint32_t value = 0;  // errno number for Errno, data for Trace/Trap
  bool operator==(const Action&) const = default;
};

enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge, MaskedEq };

// How much of the 64-bit argument register is compared (docs/language.md, "Argument width").
// Bits64: the whole register, as libseccomp and Docker do. Bits32: only the low 32 bits (what the
// kernel reads for an `int` argument); written u32(arg) in policies.
enum class ArgWidth { Bits64, Bits32 };

struct Comparison {
  unsigned arg = 0;  // 0..5
  std::string arg_name;  // as written (for messages), e.g. "flags" or "arg2"
  CmpOp op = CmpOp::Eq;
  uint64_t value = 0;
  uint64_t mask = ~0ULL;  // MaskedEq: (arg & mask) == value
  ArgWidth width = ArgWidth::Bits64;
  SourceLoc loc;
  bool operator==(const Comparison& o) const {
    return arg == o.arg && op == o.op && value == o.value && mask == o.mask && width == o.width;
  }
};

// A rule's argument condition in disjunctive normal form: the rule matches when ANY conjunction
// holds; a conjunction holds when ALL its comparisons hold. Empty = unconditional.
using Conjunction = std::vector<Comparison>;
using Condition = std::vector<Conjunction>;

struct KernelVersion {
  unsigned major = 0, minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
};

struct SyscallRule {
  std::string syscall;
  Action action;
  Condition args;                       // empty: applies to every call of the syscall
  std::vector<uint32_t> arches;         // empty: every target arch; else only these
  std::vector<uint32_t> not_arches;     // never on these
  std::optional<KernelVersion> min_kernel;  // only when the target kernel is at least this
  SourceLoc loc;                        // the rule in the policy
  std::string via;                      // group chain it came through, e.g. "@system-service > @io-event"
  // Capability gating already evaluated by the resolver against the policy's capabilities;
  // kept for explanations ("allowed because CAP_SYS_ADMIN is kept").
  std::vector<std::string> requires_caps;  // "CAP_SYS_ADMIN"
  std::vector<std::string> unless_caps;
};

// Whether `rule` is in force on `arch` for a target `kernel`: `arch` is among its arches (all of
// them when none are named) and not among its not_arches, and `kernel` is at least its min_kernel.
bool applies(const SyscallRule& rule, uint32_t arch, const KernelVersion& kernel);

// Whether comparison `c` can hold for no argument value at all on an arch (`narrow`: one that
// libseccomp treats as 32-bit, where values and masks are cut to 32 bits): `u32(x) == V` with V
// above 32 bits, or `x & M == V` with bits of V outside M. libseccomp drops such a conjunction
// before it rewrites a rule onto the x86 multiplexers; bpfgen and decide() do the same.
bool never_holds(const Comparison& c, bool narrow);

// Semantics (docs/language.md, "Which rule decides"): for a call of syscall S on arch A, the rules
// for S that apply on A are tried in this order: rules with argument conditions in policy order,
// then the unconditional rule; the first that matches decides, else default_action.
struct SeccompPolicy {
  Action default_action{ActionKind::Errno, 1};
  std::vector<uint32_t> arches;  // target architectures (libseccomp tokens); first = native
  std::vector<SyscallRule> rules;           // active rules
  std::vector<SyscallRule> inactive_rules;  // dropped by capability gating (for reports)
  std::optional<KernelVersion> target_kernel;  // for min_kernel; unset = host kernel at compile time
  // When set, unknown-on-arch syscalls and "bad arch" return this action instead of kill.
  std::optional<Action> bad_arch_action;
};

}  // namespace policy::ir
