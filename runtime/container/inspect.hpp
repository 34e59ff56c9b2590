// `policyrun inspect`: a container as `docker inspect` shows one (Id, Name, State, Config, ...)
// plus what Docker hides, read by compiler/inspect (the same code as `policyc inspect PID`): each
// namespace with its inode and whether the host shares it, the cgroup directories with the limits
// and usage read from their files, the five capability sets of the init decoded to names,
// no_new_privs, the seccomp mode, its filters fetched from the kernel and decompiled into policy
// text, the AppArmor label, and the policy with its sha256. docs/containers.md "inspect".
#pragma once

#include <nlohmann/json.hpp>

#include "runtime/container/store.hpp"

namespace policy::container::inspect {

// Whether the container is running: its state says so and its init is alive and is ours (pid and
// starttime match), so that its /proc entry and cgroups may be read and changed.
bool is_running(const State& s);

// The whole object for one container. `running`: its init is alive and is ours (pid and
// starttime match); only then are the /proc parts read (and its seccomp filters fetched, which
// stops the init for a moment with ptrace).
nlohmann::json container(const State& s, bool running);

}  // namespace policy::container::inspect
