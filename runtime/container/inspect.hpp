// `policyrun inspect`: a container as `docker inspect` shows one (Id, Name, State, Config, ...)
// plus what Docker hides: each namespace with its inode and whether the host shares it, the
// cgroup directories with the limits read from their files, the five capability sets of the init
// decoded to names, no_new_privs, the seccomp mode and filter count, the AppArmor label, and the
// policy with its sha256. docs/containers.md "inspect".
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/container/store.hpp"

namespace policy::container::inspect {

// Whether the container is running: its state says so and its init is alive and is ours (pid and
// starttime match), so that its /proc entry and cgroups may be read and changed.
bool is_running(const State& s);

// Every /proc/PID/ns/* of `pid`: {"net": {"inode": N, "host": bool}, ...}, where "host" says
// that policyrun's own namespace of that kind is the same (shared with the host).
nlohmann::json namespaces(pid_t pid);
// The limit files present in each directory: [{"path": DIR, "limits": {"memory.max": "..."}}].
nlohmann::json cgroups(const std::vector<std::string>& dirs);
// From /proc/PID/status and attr: Capabilities (five sets: hex and names), NoNewPrivs, Seccomp
// (mode name) and SeccompFilters, AppArmor (the label).
nlohmann::json confinement(pid_t pid);

// The whole object for one container. `running`: its init is alive and is ours (pid and
// starttime match); only then are the /proc parts read.
nlohmann::json container(const State& s, bool running);

}  // namespace policy::container::inspect
