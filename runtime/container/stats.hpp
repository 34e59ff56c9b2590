// A running container's resource usage, read from its own cgroups (v1, v2 or hybrid: whichever
// of the run's directories has the file) and its init's /proc entry, with Docker's arithmetic
// for `docker stats`: CPU % from two samples, memory without the inactive page cache, the host's
// memory as the limit of an unlimited container. docs/containers.md "stats".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace policy::container::stats {

struct Sample {
  uint64_t cpu_ns = 0;         // the container's CPU time: cpuacct.usage, or cpu.stat usage_usec
  uint64_t system_cpu_ns = 0;  // the host's CPU time, all CPUs (/proc/stat), Docker's systemDelta
  unsigned online_cpus = 0;
  bool has_cpu = false;
  // Memory in use: memory.usage_in_bytes minus memory.stat total_inactive_file (v1), or
  // memory.current minus inactive_file (v2), as the Docker CLI computes it.
  uint64_t memory_usage = 0;
  uint64_t memory_limit = 0;  // memory.limit_in_bytes / memory.max; the host's RAM when unlimited
  bool memory_limited = false, has_memory = false;
  uint64_t pids = 0;                   // pids.current
  std::optional<uint64_t> pids_limit;  // pids.max; nothing: "max"
  // Bytes read and written by the container's block I/O (blkio.throttle.io_service_bytes
  // Read/Write on v1, io.stat rbytes/wbytes on v2), every device summed.
  uint64_t block_read = 0, block_write = 0;
  // Bytes received and sent on every interface of the init's network namespace but lo
  // (/proc/PID/net/dev). net_shared: the container uses the host's network namespace, whose
  // traffic is not its own: counted as 0, as Docker shows a --net=host container.
  uint64_t net_rx = 0, net_tx = 0;
  bool net_shared = false, has_net = false;
};

// Reads the usage now. `cgroup_dirs` are the run's directories (State::cgroup_dirs), `pid` its
// init's host pid (0: no net I/O). A missing file is a missing figure, never an error.
Sample sample(const std::vector<std::string>& cgroup_dirs, pid_t pid);

// Docker's CPU %: the container's CPU time over the host's between two samples, times the online
// CPUs (200% is two CPUs busy). 0 when either sample has no CPU figure.
double cpu_percent(const Sample& before, const Sample& after);
double memory_percent(const Sample& s);

// Docker's units: "1.5MiB" (memory: binary units) and "1.5MB" (I/O: decimal units).
std::string binary_size(uint64_t bytes);
std::string decimal_size(uint64_t bytes);

// One container's row: what `stats --json` prints for it (the figures in bytes, and Docker's
// column texts).
nlohmann::json row_json(const std::string& id, const std::string& name, const Sample& before,
                        const Sample& after);

}  // namespace policy::container::stats
