// Changing a running container's limits in its own cgroups (`policyrun update`, Docker's `docker
// update`): the files written in the order the kernel accepts (v1: memory.memsw before memory
// when raising, after it when lowering), each value read back as the kernel kept it (page
// rounding), and nothing half-applied: when a write fails, what was already written is put back.
// docs/containers.md "update".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace policy::container::update {

// What to change; -1 means unlimited (Docker's -1).
struct Limits {
  std::optional<int64_t> memory;       // bytes
  std::optional<int64_t> memory_swap;  // memory + swap, bytes (Docker's --memory-swap)
  std::optional<double> cpus;          // CPUs (cpu quota over a 100 ms period); 0: no quota
  std::optional<uint64_t> cpu_shares;  // v1 cpu.shares; v2 cpu.weight as cgroup.hpp converts
  std::optional<int64_t> pids;
  bool empty() const { return !memory && !memory_swap && !cpus && !cpu_shares && !pids; }
};

// Docker's byte units (units.RAMInBytes): "8000000", "64m", "1g", "512k", "1.5g", "-1"
// (unlimited). Throws policy::Error naming `option` and the text.
int64_t parse_bytes(const std::string& text, const std::string& option);

// A file that was written and the value the kernel kept in it.
struct Applied {
  std::string file;
  std::string value;
};

// Writes `limits` into the run's cgroup directories (State::cgroup_dirs). Throws policy::Error
// naming the file (and restores every file already written) when a limit cannot be applied: no
// controller for it here, a memory limit below what the container uses, a value the kernel
// refuses.
std::vector<Applied> apply(const std::vector<std::string>& cgroup_dirs, const Limits& limits);

}  // namespace policy::container::update
