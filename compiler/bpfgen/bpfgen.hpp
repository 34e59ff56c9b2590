// policyc's own seccomp code generator (the default backend): the Policy IR's seccomp part
// compiled into a small, fast classic-BPF program that decides exactly as libseccomp's would
// (libseccomp stays the oracle and the alternative backend). docs/bpfgen.md explains the design.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "compiler/ir/seccomp.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::bpfgen {

// How often each syscall is called by a workload: syscall name -> number of calls. Used to weight
// the syscall-number search so that frequent calls take the fewest instructions.
struct FrequencyTable {
  std::map<std::string, double> calls;
  std::string source;  // "built-in" or the file it was read from (for messages)
  double total() const;
};

struct Options {
  const FrequencyTable* frequencies = nullptr;  // nullptr: builtin_frequencies()
  std::optional<ir::KernelVersion> kernel;  // for min_kernel; else policy.target_kernel, else host
};

// Compiles the policy. Throws policy::Error when the program would exceed the kernel's 4096
// instruction limit (BPF_MAXINSNS) or the policy names something the generator cannot encode.
seccomp::Program generate(const ir::SeccompPolicy& policy, const Options& options = {});

// What a program costs, by simulating it (any program, whichever backend produced it).
// "Allowed syscalls" are the (architecture, syscall number) pairs of the policy that some rule
// allows; each is run once with all arguments zero.
struct Stats {
  size_t instructions = 0;
  double mean_executed_allowed = 0;  // over every allowed syscall of every target architecture
  size_t max_executed_allowed = 0;
  size_t cache_eligible_allowed = 0;  // allowed syscalls the kernel's constant-action cache takes
  size_t allowed_syscalls = 0;
  double mean_executed_allowed_native = 0;  // the same mean over the first (native) arch only
  size_t argument_free_allowed = 0;  // allowed unconditionally on a cacheable arch (the ideal)
};
Stats measure(const seccomp::Program& program, const ir::SeccompPolicy& policy,
              std::optional<ir::KernelVersion> kernel = std::nullopt);

// Reads a `strace -c` (or `strace -c -f`) summary. Throws policy::Error naming the file and line.
FrequencyTable load_frequencies(const std::string& strace_c_file);
// A table measured with `strace -f -c` on common container workloads (docs/bpfgen.md says which).
FrequencyTable builtin_frequencies();

// The kernel's own rule (kernel/seccomp.c, seccomp_is_const_allow): would the kernel's
// constant-action cache allow syscall `nr` of libseccomp arch token `arch` without running the
// filter? Only the native and compat architectures have a cache bitmap (x32 numbers never fit).
bool kernel_would_cache(const seccomp::Program& program, uint32_t arch, int nr);

}  // namespace policy::bpfgen
