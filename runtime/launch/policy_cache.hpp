// policyrun's compile step: policy file -> Policy IR + seccomp filter, in-process and before
// anything is created, reusing the identical compile of an earlier run when nothing it read has
// changed (docs/cli-policyrun.md, "Compile cache").
//
// Parsing, resolving and generating the filter are a third of a launch's own time. An entry is
// <root>/policy-cache/<key>.bin; the key names the inputs that are not files (this binary's GNU
// build-id, the kernel release for `when kernel >=`, libseccomp's version, the working directory,
// the policy path as given, the include directories, the policy name, the seccomp backend), and
// the entry repeats them in full and holds the full text of every file the compile read and the
// path of every include candidate it found missing. It is used only when all of that is still
// exactly so - compared byte for byte, no hash to collide - so an edited policy or include, or a
// new file an include would now find first, means a fresh compile (which replaces the entry).
// Entries are written atomically (temporary file + rename), only after a compile without errors,
// and read only from a directory owned by this user and writable by no one else. A missing,
// unreadable or malformed entry is never an error: the policy is compiled as if there were none.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "compiler/driver/driver.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/ir/policy.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::launch {

struct CompileRequest {
  std::string policy_file;
  frontend::LoadOptions load;  // include dirs and policy name (probes are set internally)
  driver::SeccompOptions seccomp;
  std::string cache_dir;  // empty: no cache
  // policyrun: grow the populated heap (reserve_heap) to a full compile's needs on a cache miss.
  bool reserve_heap_on_miss = false;
  // Explain mode (denials.hpp): the filter is the explain variant (errno actions notify), and
  // with explain_landlock_calls the calls Landlock may refuse under the policy notify too (file
  // calls, bind/connect). Keyed separately.
  bool explain_denials = false;
  bool explain_landlock_calls = false;
};

// What a compile allocates, about: a cache hit (read, compare, decode the IR) and a full compile
// of docker-default, whose peak is 1.4 MiB.
constexpr size_t kCachedCompileHeap = 384 << 10;
constexpr size_t kFullCompileHeap = 3 << 19;

// On virtual machines a first touch of a page is expensive (12 µs per page on the project's VM,
// against 1.3 µs per page populated in bulk; bench/README.md), so the heap is grown at once by
// `bytes` and populated with one madvise, and kept (malloc's trim and mmap thresholds are raised
// so that neither the free nor large blocks give it back or bypass it). Populating more than is
// used costs too, hence two sizes. Purely a speed-up: on kernels without MADV_POPULATE_WRITE
// (before 5.14) the pages are faulted in as they are used.
void reserve_heap(size_t bytes);

struct CompiledPolicy {
  ir::Policy policy;
  seccomp::Program filter;
  std::string diagnostics;  // the compile's warnings, as it printed them
  bool from_cache = false;
};

// The compiled policy, or nullopt when the policy has errors; `diagnostics` receives the
// compile's messages in both cases. Throws policy::Error for failures that are not the policy's
// (the filter generator's limits, for example).
std::optional<CompiledPolicy> compile_policy(const CompileRequest& request,
                                             std::string& diagnostics);

// The seccomp filter of `policy` as `request` asks for it (the explain variant in explain mode):
// what compile_policy compiles, again for a policy changed after it (policyrun run's Docker
// flags, runtime/cli/docker_flags.hpp).
seccomp::Program compile_filter(const CompileRequest& request, const ir::Policy& policy);

}  // namespace policy::launch
