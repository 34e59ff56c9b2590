#include "runtime/launch/namespaces.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compiler/common/error.hpp"

namespace policy::launch::namespaces {
uint64_t clone_flags(const ir::NamespacePlan& plan) {
  uint64_t flags = CLONE_NEWNS;
  for (const auto& ns : plan.namespaces)
    if (ns.creates() && ns.kind != ir::NamespaceKind::Cgroup)
      flags |= static_cast<uint64_t>(ir::clone_flag(ns.kind));
  return flags;
}

bool new_cgroup_ns(const ir::NamespacePlan& plan) {
  for (const auto& ns : plan.namespaces)
    if (ns.kind == ir::NamespaceKind::Cgroup && ns.creates()) return true;
  return false;
}

void enter_new_cgroup_ns() {
  if (::unshare(CLONE_NEWCGROUP) != 0) throw sys_error("unshare(CLONE_NEWCGROUP)");
}

Joins::Joins(const ir::NamespacePlan& plan) {
  for (const auto& ns : plan.namespaces) {
    if (!ns.container.empty() && ns.join_path.empty())
      throw Error(std::string("namespaces: ") + ir::namespace_name(ns.kind) + " container " +
                  ns.container +
                  ": the container's name was not resolved (policyrun resolves "
                  "it through its container store before the launch)");
    if (ns.join_path.empty()) continue;
    if (ns.kind == ir::NamespaceKind::Mount || ns.kind == ir::NamespaceKind::User)
      throw Error(std::string("namespaces: joining an existing ") +
                  ir::namespace_proc_name(ns.kind) + " namespace (" + ns.join_path +
                  ") is not supported by policyrun: " +
                  (ns.loc.known() ? ns.loc.str() + ": " : "") + "remove 'join' to get a new one");
    Target t;
    t.nstype = ir::clone_flag(ns.kind);
    t.path = ns.join_path;
    t.target.reset(::open(ns.join_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!t.target.valid()) throw sys_error("namespaces: open the namespace to join", ns.join_path);
    std::string own = std::string("/proc/self/ns/") + ir::namespace_proc_name(ns.kind);
    if (ns.kind == ir::NamespaceKind::Pid) own = "/proc/self/ns/pid_for_children";
    if (ns.kind == ir::NamespaceKind::Time) own = "/proc/self/ns/time_for_children";
    t.saved.reset(::open(own.c_str(), O_RDONLY | O_CLOEXEC));
    if (!t.saved.valid()) throw sys_error("namespaces: open", own);
    targets_.push_back(std::move(t));
  }
}

void Joins::enter() {
  for (auto& t : targets_)
    if (::setns(t.target.get(), t.nstype) != 0) {
      auto err = sys_error("namespaces: setns into", t.path);
      leave();
      throw err;
    }
}

void Joins::leave() {
  for (auto& t : targets_) ::setns(t.saved.get(), t.nstype);
}

namespace {
// A failed clone, from errno, with the likely cause when it is a refused namespace.
Error clone_error(const std::string& call) {
  std::string hint;
  if (errno == EPERM || errno == ENOSPC || errno == EINVAL)
    hint =
        " (a namespace in the policy may be disabled on this host: check user.max_*_namespaces"
        " sysctls and that policyrun runs as root)";
  return sys_error(call + " with the policy's namespaces" + hint);
}
}  // namespace

Child clone_process(uint64_t flags) {
  Child c;
  int pidfd = -1;
  struct clone_args args {};
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  long r = ::syscall(SYS_clone3, &args, sizeof args);
  if (r < 0 && errno == ENOSYS) {
    r = ::syscall(SYS_clone, (flags & 0xffffffffu) | CLONE_PIDFD | SIGCHLD, nullptr, &pidfd,
                  nullptr, nullptr);
  }
  if (r < 0) throw clone_error("clone3");
  c.pid = static_cast<pid_t>(r);
  if (c.pid != 0) c.pidfd.reset(pidfd);
  return c;
}

Child spawn_process(uint64_t flags, int (*fn)(void*), void* arg) {
  // The child's stack: 8 MiB reserved (only the pages it touches are ever allocated), with a
  // guard page below it.
  constexpr size_t kStack = 8 << 20, kGuard = 4096;
  void* mem = ::mmap(nullptr, kStack + kGuard, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) throw sys_error("mmap the launch child's stack");
  struct Unmap {
    void* p;
    size_t n;
    ~Unmap() { ::munmap(p, n); }
  } unmap{mem, kStack + kGuard};
  if (::mprotect(mem, kGuard, PROT_NONE) != 0) throw sys_error("mprotect the stack guard page");
  int pidfd = -1;
  char* top = static_cast<char*>(mem) + kStack + kGuard;
  int pid = ::clone(fn, top,
                    static_cast<int>(flags) | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, arg,
                    &pidfd);
  if (pid < 0) throw clone_error("clone");
  Child c;
  c.pid = pid;
  c.pidfd.reset(pidfd);
  return c;
}

}  // namespace policy::launch::namespaces
