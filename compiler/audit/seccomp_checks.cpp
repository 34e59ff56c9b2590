// The seccomp layer's checks, judged on the compiled filters, never on the policy text: every
// filter of the posture runs on each dangerous call, on every ABI the kernel accepts from the
// process (the targets' compat arches too), with argument probes where the danger is in an
// argument. With several filters the most restrictive verdict wins, as in the kernel.
#include <linux/net.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

#include "compiler/audit/checks.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/ir/runtime_plan.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::audit::detail {
namespace {

using seccomp::Args;

// Where the danger of a call lies, and so which arguments are probed.
enum class Probe {
  None,            // the call itself
  NamespaceFlags,  // clone/unshare: each CLONE_NEW* flag (clone's flags are arg1 on s390)
  Personality,     // personality: the flags that weaken ASLR and NX
  IoctlRequest,    // ioctl(fd, REQUEST): the request, and the request with upper bits set
  SocketFamily,    // socket(FAMILY): the family, and socketcall(SYS_SOCKET) where it exists
};

struct CallCheck {
  const char* id;
  std::vector<const char*> calls;
  Severity severity;
  const char* what;  // "mount filesystems"
  const char* why;
  const char* fix;
  Probe probe = Probe::None;
  uint64_t value = 0;  // the request or family probed
  const char* value_name = "";
};

const std::vector<CallCheck>& call_checks() {
  static const std::vector<CallCheck> checks = {
      {"syscall.mount",
       {"mount", "umount2", "umount", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
        "open_tree", "mount_setattr"},
       Severity::High,
       "mount and the new mount API",
       "mounting over the container's view or a host device is the first step of most escapes "
       "(CVE-2022-0492 mounts cgroupfs for its release_agent)",
       "leave mount calls out of the allowlist (or `errno(EPERM) mount, umount2, ...`)"},
      {"syscall.ptrace",
       {"ptrace"},
       Severity::Medium,
       "trace other processes",
       "reads and changes the memory and registers of every process it may trace; before Linux "
       "4.8 it bypassed seccomp; PTRACE_TRACEME privilege escalation (CVE-2019-13272)",
       "`kill ptrace` or `errno(EPERM) ptrace`"},
      {"syscall.process_vm",
       {"process_vm_readv", "process_vm_writev"},
       Severity::Medium,
       "read and write other processes' memory",
       "cross-process memory access without ptrace's attach (secrets of sibling processes)",
       "`kill process_vm_readv, process_vm_writev`"},
      {"syscall.bpf",
       {"bpf"},
       Severity::High,
       "load BPF programs",
       "the BPF verifier is a large attack surface: CVE-2021-3490, CVE-2020-8835 (kernel "
       "read/write from an unprivileged program)",
       "leave bpf out of the allowlist"},
      {"syscall.perf_event_open",
       {"perf_event_open"},
       Severity::High,
       "open perf events",
       "perf bugs gave root (CVE-2013-2094) and perf leaks kernel addresses",
       "leave perf_event_open out of the allowlist"},
      {"syscall.userfaultfd",
       {"userfaultfd"},
       Severity::Medium,
       "handle page faults in user space",
       "stalls the kernel in the middle of a copy from user memory: the technique that makes "
       "kernel race conditions reliably exploitable",
       "leave userfaultfd out of the allowlist"},
      {"syscall.keyctl",
       {"keyctl", "add_key", "request_key"},
       Severity::Medium,
       "use the kernel keyrings",
       "keyrings are not namespaced: keys of other containers of the same uid, and keyring bugs "
       "(CVE-2016-0728, reference count overflow to root)",
       "leave keyctl, add_key and request_key out of the allowlist"},
      {"syscall.io_uring",
       {"io_uring_setup", "io_uring_enter", "io_uring_register"},
       Severity::High,
       "use io_uring",
       "io_uring's operations bypass the seccomp filter of the calls they perform, and it had "
       "many privilege escalations (CVE-2021-41073, CVE-2022-29582)",
       "leave io_uring_* out of the allowlist"},
      {"syscall.unshare",
       {"unshare"},
       Severity::High,
       "create namespaces with unshare",
       "a new user namespace makes the process root there: mount, netfilter and other "
       "privileged kernel code becomes reachable (CVE-2022-0185, CVE-2022-1015)",
       "`allow unshare(flags & (CLONE_NEWUSER | CLONE_NEWNS | ...) == 0)` or leave unshare out",
       Probe::NamespaceFlags},
      {"syscall.clone-namespaces",
       {"clone"},
       Severity::High,
       "create namespaces with clone",
       "as unshare: a new user namespace exposes privileged kernel code to the process",
       "`allow clone(arg0 & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | "
       "CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME) == 0)`",
       Probe::NamespaceFlags},
      {"syscall.clone3",
       {"clone3"},
       Severity::High,
       "call clone3 (flags seccomp cannot read)",
       "clone3's flags are in memory: a filter cannot refuse CLONE_NEWUSER through it",
       "`errno(ENOSYS) clone3`: C libraries then fall back to clone()"},
      {"syscall.setns",
       {"setns"},
       Severity::Medium,
       "join other namespaces",
       "joins a namespace whose file descriptor it obtains (a host namespace leaked through "
       "/proc or a passed fd)",
       "leave setns out of the allowlist"},
      {"syscall.kexec",
       {"kexec_load", "kexec_file_load"},
       Severity::High,
       "load a new kernel",
       "replaces the running kernel",
       "leave kexec_load and kexec_file_load out"},
      {"syscall.module",
       {"init_module", "finit_module", "delete_module"},
       Severity::High,
       "load and unload kernel modules",
       "code in the host kernel",
       "leave init_module, finit_module and delete_module out"},
      {"syscall.open_by_handle_at",
       {"open_by_handle_at"},
       Severity::High,
       "open files by handle",
       "opens any file of the filesystem by its handle, outside the container's root: the 2014 "
       "'shocker' escape",
       "leave open_by_handle_at out of the allowlist"},
      {"syscall.name_to_handle_at",
       {"name_to_handle_at"},
       Severity::Low,
       "get file handles",
       "the handles shocker brute-forces; harmless without open_by_handle_at",
       "leave name_to_handle_at out of the allowlist"},
      {"syscall.personality",
       {"personality"},
       Severity::Medium,
       "change the execution domain without restriction",
       "ADDR_NO_RANDOMIZE turns ASLR off and READ_IMPLIES_EXEC makes data executable for the "
       "programs it runs",
       "`allow personality(persona in {0x0, 0x8, 0x20000, 0x20008, 0xffffffff})`",
       Probe::Personality},
      {"syscall.ioctl-TIOCSTI",
       {"ioctl"},
       Severity::High,
       "push input into a terminal",
       "TIOCSTI injects keystrokes into the terminal the container inherited, run by the host's "
       "shell (CVE-2017-5226)",
       "`errno(EPERM) ioctl(u32(request) in {TIOCSTI, TIOCLINUX})` (u32: the kernel reads an "
       "unsigned int)",
       Probe::IoctlRequest,
       TIOCSTI,
       "TIOCSTI"},
      {"syscall.ioctl-TIOCLINUX",
       {"ioctl"},
       Severity::High,
       "drive the virtual console",
       "TIOCLINUX pastes the console selection as input (CVE-2023-1523)",
       "`errno(EPERM) ioctl(u32(request) in {TIOCSTI, TIOCLINUX})`",
       Probe::IoctlRequest,
       TIOCLINUX,
       "TIOCLINUX"},
      {"syscall.socket-AF_ALG",
       {"socket"},
       Severity::High,
       "open kernel crypto sockets",
       "the crypto API behind AF_ALG had use-after-frees to root (CVE-2019-8912, "
       "https://copy.fail/)",
       "`allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})` or network `deny alg`",
       Probe::SocketFamily,
       AF_ALG,
       "AF_ALG"},
      {"syscall.socket-AF_PACKET",
       {"socket"},
       Severity::Medium,
       "open packet sockets",
       "AF_PACKET bugs gave root (CVE-2017-7308, CVE-2020-14386); with CAP_NET_RAW it spoofs "
       "ARP and ICMP",
       "`allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})`",
       Probe::SocketFamily,
       AF_PACKET,
       "AF_PACKET"},
      {"syscall.socket-AF_VSOCK",
       {"socket"},
       Severity::Medium,
       "open host <-> guest sockets",
       "talks to the hypervisor or the host's vsock services; vsock bugs (CVE-2021-26708)",
       "`allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})`",
       Probe::SocketFamily,
       AF_VSOCK,
       "AF_VSOCK"},
      {"syscall.socket-AF_NETLINK",
       {"socket"},
       Severity::Low,
       "open netlink sockets",
       "netlink reaches nf_tables and the routing code; with a user namespace their bugs give "
       "root (CVE-2022-1015, CVE-2023-32233)",
       "`allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})`",
       Probe::SocketFamily,
       AF_NETLINK,
       "AF_NETLINK"},
      {"syscall.pivot_root",
       {"pivot_root", "chroot"},
       Severity::Low,
       "change the root directory",
       "with a directory outside the root (a passed fd), chroot escapes the container's root",
       "leave pivot_root and chroot out of the allowlist"},
      {"syscall.swap",
       {"swapon", "swapoff"},
       Severity::Medium,
       "manage swap",
       "host-wide: turns the host's swap off or swaps onto a file",
       "leave swapon and swapoff out"},
      {"syscall.reboot",
       {"reboot"},
       Severity::Medium,
       "reboot",
       "with CAP_SYS_BOOT in the host's pid namespace: reboots the host",
       "leave reboot out"},
      {"syscall.syslog",
       {"syslog"},
       Severity::Medium,
       "read the kernel log",
       "kernel addresses in the log defeat KASLR",
       "leave syslog out of the allowlist"},
      {"syscall.acct",
       {"acct"},
       Severity::Low,
       "switch process accounting",
       "host-wide accounting file",
       "leave acct out"},
      {"syscall.quotactl",
       {"quotactl", "quotactl_fd"},
       Severity::Low,
       "manage disk quotas",
       "host filesystems' quotas",
       "leave quotactl out"},
      {"syscall.lookup_dcookie",
       {"lookup_dcookie"},
       Severity::Low,
       "resolve directory cookies",
       "leaks host paths (oprofile's interface)",
       "leave lookup_dcookie out"},
      {"syscall.clock",
       {"clock_settime", "settimeofday", "clock_adjtime", "stime"},
       Severity::Medium,
       "set the clock",
       "the clock is not namespaced: it changes the host's time (TLS, logs, token expiry)",
       "leave clock_settime, settimeofday and clock_adjtime out"},
      {"syscall.ioport",
       {"iopl", "ioperm"},
       Severity::High,
       "access I/O ports",
       "direct hardware access with CAP_SYS_RAWIO",
       "leave iopl and ioperm out"},
      {"syscall.fanotify",
       {"fanotify_init"},
       Severity::Low,
       "watch filesystems with fanotify",
       "with CAP_SYS_ADMIN: every access on a mount, of the host too",
       "leave fanotify_init out"},
  };
  return checks;
}

// "CLONE_NEWUSER": the name of a namespace's clone flag (<sched.h> spells mount's CLONE_NEWNS).
std::string clone_flag_name(ir::NamespaceKind kind) {
  if (kind == ir::NamespaceKind::Mount) return "CLONE_NEWNS";
  std::string n = ir::namespace_name(kind);
  for (char& ch : n) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  return "CLONE_NEW" + n;
}

bool allows(uint32_t ret) {
  const uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
  return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

struct Hit {
  uint32_t arch;
  std::string call;
  Args args{};
  std::string via;  // "socketcall" when reached through the multiplexer
  std::string variant;
};

class SeccompAudit {
 public:
  SeccompAudit(const Posture& p, AuditResult& r) : p_(p), r_(r) {
    for (size_t i = 0; i < p.seccomp.filters.size(); ++i) {
      const std::string problem = seccomp::program_problem(p.seccomp.filters[i]);
      if (!problem.empty())
        throw Error(p.seccomp.origin.str() + ": seccomp filter " + std::to_string(i + 1) +
                    " is not one the kernel would accept: " + problem);
    }
    targets_ = p.seccomp.arches.empty() ? names::default_target_arches() : p.seccomp.arches;
    for (uint32_t t : targets_)
      for (uint32_t a : names::compat_arches(t))
        if (std::find(abis_.begin(), abis_.end(), a) == abis_.end()) abis_.push_back(a);
    for (uint32_t t : targets_)
      if (std::find(abis_.begin(), abis_.end(), t) == abis_.end()) abis_.push_back(t);
  }

  void run() {
    check_default();
    check_arches();
    for (const CallCheck& c : call_checks()) check_call(c);
  }

 private:
  bool allowed(uint32_t arch, const std::string& call, const Args& args) const {
    auto nr = names::syscall_number(call, arch);
    if (!nr) return false;
    return allows(seccomp::run_filters_unchecked(
        p_.seccomp.filters, seccomp::make_seccomp_data(arch, static_cast<uint32_t>(*nr), args)));
  }

  // The probes of a check on one ABI: (call, args, via, variant) tuples.
  std::vector<Hit> probes(const CallCheck& c, uint32_t arch) const {
    std::vector<Hit> out;
    const bool s390 = names::arch_name(arch).rfind("s390", 0) == 0;
    for (const char* call : c.calls) {
      switch (c.probe) {
        case Probe::None:
          out.push_back({arch, call, {}, "", ""});
          break;
        case Probe::NamespaceFlags:
          for (auto kind :
               {ir::NamespaceKind::User, ir::NamespaceKind::Mount, ir::NamespaceKind::Net,
                ir::NamespaceKind::Pid, ir::NamespaceKind::Ipc, ir::NamespaceKind::Uts,
                ir::NamespaceKind::Cgroup, ir::NamespaceKind::Time}) {
            Args a{};
            a[std::string(call) == "clone" && s390 ? 1 : 0] =
                static_cast<uint64_t>(ir::clone_flag(kind));
            out.push_back({arch, call, a, "", clone_flag_name(kind)});
          }
          break;
        case Probe::Personality:
          for (auto [v, n] :
               {std::pair<uint64_t, const char*>{ADDR_NO_RANDOMIZE, "ADDR_NO_RANDOMIZE"},
                {READ_IMPLIES_EXEC, "READ_IMPLIES_EXEC"}}) {
            Args a{};
            a[0] = v;
            out.push_back({arch, call, a, "", n});
          }
          break;
        case Probe::IoctlRequest: {
          Args a{};
          a[1] = c.value;
          out.push_back({arch, call, a, "", c.value_name});
          if (!seccomp::arch_is_32bit(arch)) {
            // The kernel takes the request as an unsigned int: bits 32..63 are ignored, but a
            // filter comparing the whole register sees another value.
            a[1] = c.value | (1ULL << 32);
            out.push_back({arch, call, a, "", std::string(c.value_name) + "|1<<32"});
          }
          break;
        }
        case Probe::SocketFamily: {
          Args a{};
          a[0] = c.value;
          out.push_back({arch, call, a, "", c.value_name});
          if (!seccomp::arch_is_32bit(arch)) {
            // The family is an int: a filter refusing it by comparing the whole register (Docker's
            // `domain != AF_ALG`) lets it through with bits 32..63 set.
            a[0] = c.value | (1ULL << 32);
            out.push_back({arch, call, a, "", std::string(c.value_name) + "|1<<32"});
          }
          // socket() through socketcall(SYS_SOCKET, args): the family is in memory.
          if (auto mux = seccomp::multiplexer_of(call, arch); mux && *mux == "socketcall") {
            Args m{};
            m[0] = SYS_SOCKET;
            out.push_back({arch, "socketcall", m, "socketcall", c.value_name});
          }
          break;
        }
      }
    }
    return out;
  }

  // The rule (file:line:col or JSON entry) that decides a call, or the filter's origin.
  Origin origin_of(const Hit& h) const {
    if (!p_.seccomp.policy) return p_.seccomp.origin;
    const ir::SeccompPolicy& sp = *p_.seccomp.policy;
    if (std::find(sp.arches.begin(), sp.arches.end(), h.arch) == sp.arches.end())
      return {{},
              p_.seccomp.origin.str() + " (" + names::arch_name(h.arch) +
                  " is not a target: the filter's bad-arch path decides)"};
    auto nr = names::syscall_number(h.call, h.arch);
    const auto d = seccomp::decide_rule(sp, h.arch, static_cast<uint32_t>(*nr), h.args,
                                        seccomp::target_kernel(sp, std::nullopt));
    if (!d.rule) {
      Origin o = p_.seccomp.origin;
      if (!o.loc.known()) o.where += " (defaultAction)";
      return o;
    }
    if (d.rule->loc.known()) return {d.rule->loc, ""};
    const size_t i = static_cast<size_t>(d.rule - sp.rules.data());
    if (i < p_.seccomp.rule_origins.size()) return {{}, p_.seccomp.rule_origins[i]};
    return p_.seccomp.origin;
  }

  void check_default() {
    const std::string check = "seccomp: default action";
    if (!p_.seccomp.policy) {
      add_check(r_, check, Severity::High, 0, "no IR: judged by the calls below", std::nullopt);
      return;
    }
    const ir::ActionKind k = p_.seccomp.policy->default_action.kind;
    if (k != ir::ActionKind::Allow && k != ir::ActionKind::Log) {
      add_check(r_, check, Severity::High, 0, "refuses what no rule allows", std::nullopt);
      return;
    }
    add_check(r_, check, Severity::High, 1, "allow",
              Finding{"seccomp.default-allow", Severity::High,
                      "the seccomp filter's default action is allow: every call no rule names "
                      "reaches the kernel, new syscalls included",
                      p_.seccomp.origin,
                      "a denylist misses the calls it does not know of (io_uring, new mount API, "
                      "each new syscall): the usual way denylists are bypassed",
                      "`syscalls default errno(EPERM) { allow ... }`: an allowlist"});
  }

  // A call refused on the primary ABI but allowed on another one the kernel accepts: the filter
  // does not check the architecture, or lets the x32 ABI or a compat arch through.
  void check_arches() {
    const uint32_t primary = targets_.front();
    for (uint32_t abi : abis_) {
      if (abi == primary) continue;
      std::vector<std::string> through;
      for (const CallCheck& c : call_checks())
        for (const Hit& h : probes(c, primary)) {
          if (!h.via.empty() || !h.variant.empty()) continue;
          if (allowed(primary, h.call, h.args) || !allowed(abi, h.call, h.args)) continue;
          if (std::find(through.begin(), through.end(), h.call) == through.end())
            through.push_back(h.call);
        }
      const bool target = std::find(targets_.begin(), targets_.end(), abi) != targets_.end();
      const std::string name = names::arch_name(abi);
      const std::string check = "seccomp: " + name + " ABI filtered";
      // Calls a policy allows on purpose on one of its own arches are the call findings' matter.
      if (through.empty() || target) {
        add_check(r_, check, Severity::Critical, 0, target ? "a target of the filter" : "refused",
                  std::nullopt);
        continue;
      }
      std::string list;
      for (size_t i = 0; i < through.size() && i < 8; ++i) list += (i ? ", " : "") + through[i];
      if (through.size() > 8) list += ", ...";
      add_check(
          r_, check, Severity::Critical, 1, "calls get through",
          Finding{"seccomp.arch-" + name, Severity::Critical,
                  "the filter lets " + name + " calls through: " + list + " are refused on " +
                      names::arch_name(primary) + " but allowed as " + name + " calls",
                  p_.seccomp.origin,
                  "a filter that does not check seccomp_data.arch (or the x32 bit) is bypassed "
                  "by making the call through the other ABI (int 0x80, the x32 syscall bit): "
                  "its syscall numbers mean other calls",
                  "compile the policy for every ABI of the host (`--arch " +
                      names::arch_name(primary) +
                      "` alone kills the other ABIs), or check the arch first in a raw filter"});
    }
  }

  void check_call(const CallCheck& c) {
    const std::string check = std::string("syscall: ") + c.id;
    std::vector<Hit> hits;
    for (uint32_t abi : abis_)
      for (const Hit& h : probes(c, abi))
        if (allowed(abi, h.call, h.args)) hits.push_back(h);
    if (hits.empty()) {
      add_check(r_, check, c.severity, 0, "refused", std::nullopt);
      return;
    }
    // Probed variants: flags allowed; a request only with upper bits set is the 64-bit
    // comparison bypass.
    std::vector<std::string> arches, variants, calls;
    bool plain_request = false;
    for (const Hit& h : hits) {
      auto add = [](std::vector<std::string>& v, const std::string& s) {
        if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
      };
      add(arches, names::arch_name(h.arch));
      add(variants, h.variant);
      add(calls, h.call);
      if (c.probe == Probe::IoctlRequest && h.variant == c.value_name) plain_request = true;
    }
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    std::string title;
    Hit shown = hits.front();
    switch (c.probe) {
      case Probe::None:
        title = join(calls) + (calls.size() > 1 ? " are" : " is") + " allowed (" + c.what + ")";
        break;
      case Probe::NamespaceFlags:
        title = join(calls) + " may create namespaces: " + join(variants) + " allowed";
        break;
      case Probe::Personality:
        title = "personality(" + join(variants) + ") is allowed";
        break;
      case Probe::IoctlRequest:
        if (plain_request) {
          title = std::string("ioctl(") + c.value_name + ") is allowed";
        } else {
          title = std::string("ioctl(") + c.value_name +
                  ") is refused only when the request's upper 32 bits are clear: " + c.value_name +
                  "|1<<32 gets through and the kernel runs " + c.value_name +
                  " (the filter compares 64 bits; write u32(request))";
        }
        break;
      case Probe::SocketFamily: {
        // Per ABI: the family itself, only with bits 32..63 set (a 64-bit comparison the kernel's
        // int does not see), or through socketcall.
        std::vector<std::string> plain, upper, mux;
        const Hit* direct_hit = nullptr;
        const Hit* upper_hit = nullptr;
        const Hit* mux_hit = nullptr;
        for (const Hit& h : hits) {
          const std::string a = names::arch_name(h.arch);
          auto add_arch = [&](std::vector<std::string>& v) {
            if (std::find(v.begin(), v.end(), a) == v.end()) v.push_back(a);
          };
          if (!h.via.empty()) {
            add_arch(mux);
            if (!mux_hit) mux_hit = &h;
          } else if (h.variant == c.value_name) {
            add_arch(plain);
            if (!direct_hit) direct_hit = &h;
          } else {
            if (!upper_hit) upper_hit = &h;
          }
        }
        for (const Hit& h : hits) {
          const std::string a = names::arch_name(h.arch);
          if (h.via.empty() && h.variant != c.value_name &&
              std::find(plain.begin(), plain.end(), a) == plain.end() &&
              std::find(upper.begin(), upper.end(), a) == upper.end())
            upper.push_back(a);
        }
        shown = direct_hit ? *direct_hit : upper_hit ? *upper_hit : *mux_hit;
        title = std::string("socket(") + c.value_name + ") is allowed";
        std::vector<std::string> parts;
        if (!plain.empty()) parts.push_back("on " + join(plain));
        if (!upper.empty())
          parts.push_back("on " + join(upper) + " with the family's upper 32 bits set (" +
                          c.value_name +
                          "|1<<32: the filter compares 64 bits, the kernel reads an int; "
                          "write u32(domain))");
        if (!mux.empty())
          parts.push_back("on " + join(mux) +
                          " through socketcall, whose arguments seccomp cannot read");
        for (size_t i = 0; i < parts.size(); ++i)
          title += (i == 0 ? " " : i + 1 == parts.size() ? ", and " : ", ") + parts[i];
        break;
      }
    }
    if (c.probe != Probe::SocketFamily) title += " on " + join(arches);
    add_check(r_, check, c.severity, 1, join(arches),
              Finding{c.id, c.severity, title, origin_of(shown), c.why, c.fix});
  }

  const Posture& p_;
  AuditResult& r_;
  std::vector<uint32_t> targets_;  // the filter's arches, native first
  std::vector<uint32_t> abis_;     // every ABI the kernel accepts from such a process
};

}  // namespace

bool seccomp_filter_present(const Posture& p) {
  return p.seccomp.known && !p.seccomp.filters.empty();
}

void check_seccomp(const Posture& p, AuditResult& r) {
  if (!p.seccomp.known) {
    add_check(r, "seccomp: a filter", Severity::High, 1, unknown_note(p.seccomp.origin),
              Finding{"seccomp.unknown", Severity::High,
                      "seccomp: not known (" + unknown_note(p.seccomp.origin) +
                          "); every syscall counts as reachable",
                      p.seccomp.origin, "without a filter the whole syscall surface is exposed",
                      "audit the seccomp profile with it (a policy, or --base docker-default)"});
    for (const CallCheck& c : call_checks())
      add_check(r, std::string("syscall: ") + c.id, c.severity, 1, "unknown", std::nullopt);
    return;
  }
  if (p.seccomp.filters.empty()) {
    add_check(r, "seccomp: a filter", Severity::High, 1, "none",
              Finding{"seccomp.none", Severity::High,
                      "no seccomp filter: every syscall reaches the kernel", p.seccomp.origin,
                      "the whole syscall surface, including every call below, is exposed "
                      "(Docker's --security-opt seccomp=unconfined)",
                      "a `syscalls` section with `default errno(EPERM)`, or start from "
                      "docker-default"});
    for (const CallCheck& c : call_checks())
      add_check(r, std::string("syscall: ") + c.id, c.severity, 1, "no filter", std::nullopt);
    return;
  }
  add_check(r, "seccomp: a filter", Severity::High, 0,
            std::to_string(p.seccomp.filters.size()) + " filter(s)", std::nullopt);
  SeccompAudit(p, r).run();
}

}  // namespace policy::audit::detail
