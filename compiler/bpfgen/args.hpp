// Argument checks: one syscall's ordered rules compiled into tests of 32-bit words of
// seccomp_data.args, with exact 64-bit semantics (high word, then low word), 32-bit semantics for
// u32() and for 32-bit architectures (libseccomp's: only the low word, values cut to 32 bits),
// JSET for single-bit and zero masks, and tests whose outcome is already known on the path dropped.
#pragma once

#include <functional>

#include "compiler/bpfgen/graph.hpp"
#include "compiler/bpfgen/model.hpp"

namespace policy::bpfgen {

// The node that decides `decision` on `arch` (a return when no argument is involved).
NodeId build_decision(Graph& graph, const SyscallDecision& decision, const ArchModel& arch);

}  // namespace policy::bpfgen
