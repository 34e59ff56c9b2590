// Namespaces: which ones the child is created in (clone flags), which existing ones it joins
// (setns on /proc/PID/ns/* paths around the clone), and the clone itself.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::namespaces {

// CLONE_NEW* flags of the namespaces the plan creates. A new mount namespace is always included:
// every mount of the launch must stay out of the host's mount table. The cgroup namespace is not
// among them: it is created by the child once it is in its own cgroup (enter_new_cgroup_ns), so
// that its root is the run's cgroup and not the runtime's.
uint64_t clone_flags(const ir::NamespacePlan& plan);
bool new_cgroup_ns(const ir::NamespacePlan& plan);
void enter_new_cgroup_ns();

// Namespaces to join, opened before anything runs so that a bad path fails early. enter() moves
// the calling thread into them just before clone (so the child is created inside them), leave()
// moves it back right after. Joining a mount or user namespace is refused: the rootfs is built
// in a new mount namespace, and joining a user namespace would change the runtime's credentials.
class Joins {
 public:
  explicit Joins(const ir::NamespacePlan& plan);
  bool empty() const { return targets_.empty(); }
  void enter();
  void leave();

 private:
  struct Target {
    int nstype;
    UniqueFd target, saved;
    std::string path;
  };
  std::vector<Target> targets_;
};

struct Child {
  pid_t pid = -1;
  UniqueFd pidfd;  // for race-free signalling and waiting
};

// clone3 (falling back to clone) with `flags`; returns in both processes like fork(): pid 0 in
// the child. The child gets SIGCHLD as exit signal.
Child clone_process(uint64_t flags);

// clone with `flags` | CLONE_VM | CLONE_VFORK, as posix_spawn does: the child runs fn(arg) on a
// stack of its own, in the caller's memory, while the caller waits; the call returns once the
// child has called execve or exited. Nothing of the caller's memory is copied, which on virtual
// machines is most of what a fork costs (1.7 ms for a 4 MiB process on the project's VM, against
// 0.03 ms). `fn` must never return, and the child must not rely on the caller running meanwhile.
Child spawn_process(uint64_t flags, int (*fn)(void*), void* arg);

}  // namespace policy::launch::namespaces
