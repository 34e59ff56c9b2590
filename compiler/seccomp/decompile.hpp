// A seccomp program read back into the policy language's model: which calls it allows, refuses
// and with what action, per architecture, with the argument conditions it tests (`policyc
// inspect`, docs/inspect.md). The inverse of bpfgen and libseccomp, for any classic BPF filter
// whose argument tests compare 32-bit words (and masks of them) with constants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

struct Decompiled {
  // Rules in the order that decides (conditional rules first, as docs/language.md "Which rule
  // decides" reads them), unconditional rules grouped by action; rules that only hold on some
  // architectures carry them in `arches`. Source locations are unknown.
  ir::SeccompPolicy policy;
  // What the text cannot say, one sentence each ("x86_64 ioctl: the filter tests the
  // instruction pointer; ..."): the written policy then differs from the filter there.
  std::vector<std::string> notes;
};

// Walks `prog` from its first instruction for every syscall number libseccomp knows on each of
// `arches` (libseccomp tokens, native first), with the architecture and number fixed and the
// arguments unknown, following both sides of every jump on an argument word. Architectures the
// filter refuses as a whole (every call gets its bad-architecture verdict) are left out of the
// policy's targets. Throws policy::Error when `prog` is not a program the kernel would accept.
Decompiled decompile(const Program& prog, const std::vector<uint32_t>& arches);

// One program that decides every call as the kernel decides it when all `filters` are installed
// (in the order they were installed, index 0 the first, as PTRACE_SECCOMP_GET_FILTER numbers them
// on Linux: the kernel counts back from the newest, so index 0 is the oldest): every filter
// runs and the most restrictive action wins; on a tie the most recent filter's data is returned
// (seccomp(2), "return values"). Throws policy::Error when the result would be longer than the
// kernel's limit for one program.
Program combined(const std::vector<Program>& filters);

}  // namespace policy::seccomp
