#include "compiler/ir/runtime_plan.hpp"

#include <linux/sched.h>
#include <sched.h>

#include <iterator>

namespace policy::ir {
namespace {

struct NamespaceNames {
  NamespaceKind kind;
  const char* name;  // the policy language's
  const char* proc;  // /proc/PID/ns/
  int flag;
};

// In NamespaceKind order.
constexpr NamespaceNames kNamespaces[] = {
    {NamespaceKind::Mount, "mount", "mnt", CLONE_NEWNS},
    {NamespaceKind::Pid, "pid", "pid", CLONE_NEWPID},
    {NamespaceKind::Uts, "uts", "uts", CLONE_NEWUTS},
    {NamespaceKind::Ipc, "ipc", "ipc", CLONE_NEWIPC},
    {NamespaceKind::Net, "net", "net", CLONE_NEWNET},
    {NamespaceKind::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {NamespaceKind::User, "user", "user", CLONE_NEWUSER},
    {NamespaceKind::Time, "time", "time", CLONE_NEWTIME},
};
static_assert([] {
  for (size_t i = 0; i < std::size(kNamespaces); ++i)
    if (static_cast<size_t>(kNamespaces[i].kind) != i) return false;
  return true;
}());

const NamespaceNames& names_of(NamespaceKind kind) {
  return kNamespaces[static_cast<size_t>(kind)];
}

}  // namespace

const char* namespace_name(NamespaceKind kind) {
  return names_of(kind).name;
}

const char* mount_kind_name(MountSpec::Kind k) {
  switch (k) {
    case MountSpec::Tmpfs:
      return "tmpfs";
    case MountSpec::Bind:
      return "bind";
    case MountSpec::Proc:
      return "proc";
    case MountSpec::Sysfs:
      return "sysfs";
    case MountSpec::Devpts:
      return "devpts";
    case MountSpec::Mqueue:
      return "mqueue";
  }
  return "?";
}

const char* namespace_proc_name(NamespaceKind kind) {
  return names_of(kind).proc;
}

int clone_flag(NamespaceKind kind) {
  return names_of(kind).flag;
}

std::optional<NamespaceKind> namespace_kind(std::string_view name) {
  for (const NamespaceNames& n : kNamespaces)
    if (name == n.name || name == n.proc) return n.kind;
  return std::nullopt;
}

std::vector<std::string> namespace_spellings() {
  std::vector<std::string> out;
  for (const NamespaceNames& n : kNamespaces) out.push_back(n.name);
  for (const NamespaceNames& n : kNamespaces)
    if (std::string_view(n.proc) != n.name) out.push_back(n.proc);
  return out;
}

const std::vector<std::string>& docker_masked_paths() {
  static const std::vector<std::string> paths = {
      "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
      "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
      "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap"};
  return paths;
}

const std::vector<std::string>& docker_readonly_paths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                 "/proc/sysrq-trigger"};
  return paths;
}

}  // namespace policy::ir
