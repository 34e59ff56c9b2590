#include "runtime/learn/recorder.hpp"

#include <elf.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/fds.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/learn/values.hpp"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

namespace policy::learn {

namespace {

using launch::notify::Call;
using launch::notify::Reply;

bool is_one_of(const std::string& s, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (s == n) return true;
  return false;
}

// The use of an open(2)-style flags word.
uint32_t open_use(uint64_t flags) {
  if (flags & O_PATH) return 0;  // a handle, no access
  uint32_t use = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY:
      use = kRead;
      break;
    case O_WRONLY:
      use = kWrite;
      break;
    default:
      use = kRead | kWrite;
  }
  if (flags & O_CREAT) use |= kCreate;
  if (flags & O_TRUNC) use |= kWrite;
  return use;
}

// The libseccomp arch token of a call (x32 calls arrive as x86_64 with the x32 bit).
std::optional<uint32_t> arch_of(const Call& c) {
  static const std::vector<std::pair<uint32_t, uint32_t>> audit_to_token = [] {
    std::vector<std::pair<uint32_t, uint32_t>> v;
    for (const std::string& n : names::all_arch_names())
      if (auto t = names::arch_token(n)) v.push_back({seccomp::audit_arch(*t), *t});
    return v;
  }();
  const bool x32 = (static_cast<uint32_t>(c.nr) & __X32_SYSCALL_BIT) != 0;
  for (auto [audit, token] : audit_to_token)
    if (audit == c.arch && (names::arch_name(token) == "x32") == x32) return token;
  return std::nullopt;
}

// The ELF interpreter (PT_INTERP) of the program at `path` in the caller's root: the kernel maps
// it for the execve without a system call the filter could see.
std::string elf_interpreter(pid_t pid, const std::string& path) {
  launch::UniqueFd root(
      ::open(("/proc/" + std::to_string(pid) + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid() || path.empty()) return {};
  launch::UniqueFd f = runtime::openat2(root.get(), path, O_RDONLY, RESOLVE_IN_ROOT);
  Elf64_Ehdr eh;
  if (!f.valid() || ::pread(f.get(), &eh, sizeof eh, 0) != sizeof eh ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_phentsize != sizeof(Elf64_Phdr))
    return {};
  for (unsigned i = 0; i < eh.e_phnum && i < 64; ++i) {
    Elf64_Phdr ph;
    if (::pread(f.get(), &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * sizeof ph)) !=
        sizeof ph)
      return {};
    if (ph.p_type != PT_INTERP || ph.p_filesz < 2 || ph.p_filesz > 4096) continue;
    std::string interp(ph.p_filesz, '\0');
    if (::pread(f.get(), interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) !=
        static_cast<ssize_t>(interp.size()))
      return {};
    interp.resize(interp.find('\0'));
    return interp.empty() || interp[0] != '/' ? std::string() : interp;
  }
  return {};
}

std::string fd_path(pid_t pid, uint64_t fd) {
  return static_cast<int64_t>(fd) < 0
             ? std::string()
             : launch::notify::process_link(pid, "fd/" + std::to_string(fd));
}

// "tcp" or "udp" for a socket of the calling process (taken with pidfd_getfd and asked).
std::string socket_protocol(pid_t pid, uint64_t fd) {
  launch::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return {};
  launch::UniqueFd sock(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!sock.valid()) return {};
  int protocol = 0;
  socklen_t len = sizeof protocol;
  if (::getsockopt(sock.get(), SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0) return {};
  return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : "";
}

}  // namespace

std::vector<sock_filter> notify_everything_filter() {
  return {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)};
}

CallMeaning meaning_of(const Call& c, const std::string& mapped, const std::string& protocol) {
  CallMeaning m;
  const std::string& s = c.name;
  auto file = [&](const std::string& path, uint32_t use) {
    if (!path.empty() && use) m.files.push_back({path, use});
  };
  if (s == "open") file(c.path, open_use(c.args[1]));
  if (s == "openat") file(c.path, open_use(c.args[2]));
  if (s == "openat2") file(c.path, kRead);  // its flags are in memory: counted as a read
  if (s == "creat") file(c.path, kWrite | kCreate);
  if (is_one_of(s, {"execve", "execveat"})) file(c.path, kExec);
  if (is_one_of(s, {"mkdir", "mkdirat", "mknod", "mknodat"})) file(c.path, kWrite | kCreate);
  if (is_one_of(s, {"unlink", "unlinkat", "rmdir", "truncate", "truncate64", "chmod", "fchmodat",
                    "fchmodat2", "chown", "lchown", "fchownat", "utime", "utimes", "utimensat",
                    "futimesat"}))
    file(c.path, kWrite);
  // symlink's target is the link's text, not a path it uses: its path is the link made.
  if (is_one_of(s, {"symlink", "symlinkat"})) file(c.path, kWrite | kCreate);
  if (is_one_of(s, {"link", "linkat", "rename", "renameat", "renameat2"})) {
    file(c.path, kWrite);
    file(c.path2, kWrite | kCreate);
  }
  if (is_one_of(s, {"mmap", "mmap2"}) && (c.args[2] & PROT_EXEC)) file(mapped, kMap);
  if (is_one_of(s, {"socket", "socketpair"})) {
    m.socket_family = static_cast<int>(c.args[0]);
    m.socket_type = static_cast<int>(c.args[1] & 0xf);  // without SOCK_NONBLOCK, SOCK_CLOEXEC
  }
  if (is_one_of(s, {"bind", "connect"}) && (c.family == AF_INET || c.family == AF_INET6) &&
      c.port >= 0 && !protocol.empty()) {
    m.port_kind = s;
    m.port_protocol = protocol;
    m.port = c.port;
  }
  return m;
}

Recorder::Recorder(const ir::Policy& base)
    : base_(base),
      kernel_(base.seccomp.target_kernel ? *base.seccomp.target_kernel
                                         : frontend::host_kernel_version()) {
  // The arguments the base's conditions check (their first comparison), then learn mode's own.
  for (const ir::SyscallRule& r : base.seccomp.rules)
    if (!r.args.empty() && !r.args[0].empty() && !checked_args_.count(r.syscall))
      checked_args_[r.syscall] = static_cast<int>(r.args[0][0].arg);
  for (const char* s : {"socket", "clone", "personality", "ioctl", "prctl"})
    if (auto a = checked_argument(s)) checked_args_[s] = static_cast<int>(*a);
}

const std::string& Recorder::command(pid_t pid) {
  auto it = commands_.find(pid);
  if (it != commands_.end()) return it->second;
  std::string comm = launch::files::try_read("/proc/" + std::to_string(pid) + "/comm").value_or("");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return commands_[pid] = comm;
}

Reply Recorder::on_call(const Call& c) {
  auto token = arch_of(c);
  const std::string arch = token ? names::arch_name(*token) : "arch_" + std::to_string(c.arch);
  const bool exec = c.name == "execve" || c.name == "execveat";
  if (!started_ && !exec) {  // the runtime's own calls between the filter and the execve
    std::set<std::string>& runtime = seen_.runtime_syscalls[arch];
    runtime.insert(c.name);
    // And those of the steps learn mode leaves out, which run under the filter when the policy
    // keeps no_new_privileges off (docs/runtime.md, step 19): Landlock's ruleset, and the
    // AppArmor exec label (a write to /proc/self/attr/.../exec).
    runtime.insert({"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
                    "open", "openat", "write", "close"});
    return {};
  }
  started_ = true;
  if (token) {
    seccomp::Args args;
    std::copy(std::begin(c.args), std::end(c.args), args.begin());
    ir::Action a =
        seccomp::decide(base_.seccomp, *token, static_cast<uint32_t>(c.nr), args, kernel_);
    if (a.kind == ir::ActionKind::Errno && a.value == ENOSYS) {
      ++seen_.enosys[c.name];
      return {Reply::Error, ENOSYS};
    }
  }
  // An execve is made by the old program: name the new one.
  const std::string& path = c.path;
  const First first{c.pid,
                    exec && !path.empty() ? path.substr(path.rfind('/') + 1) : command(c.pid)};
  auto checked = checked_args_.find(c.name);
  if (checked != checked_args_.end())
    add_syscall(seen_, arch, c.name, first, checked->second, c.args[checked->second]);
  else
    add_syscall(seen_, arch, c.name, first);

  const bool maps = (c.name == "mmap" || c.name == "mmap2") && (c.args[2] & PROT_EXEC);
  const bool ports = c.name == "bind" || c.name == "connect";
  // /proc/self/exe (busybox and others re-exec themselves) is the program the caller runs.
  const bool self_exec = exec && c.path == "/proc/self/exe";
  CallMeaning m = meaning_of(c, maps ? fd_path(c.pid, c.args[4]) : std::string(),
                             ports ? socket_protocol(c.pid, c.args[0]) : std::string());
  if (self_exec)
    for (auto& [file, use] : m.files)
      if (file == "/proc/self/exe") file = launch::notify::process_link(c.pid, "exe");
  for (const auto& [path, use] : m.files) add_file(seen_, path, use, first);
  if (exec && !m.files.empty()) {
    std::string interp = elf_interpreter(c.pid, m.files.front().first);
    if (!interp.empty()) add_file(seen_, interp, kRead | kMap, first);
  }
  if (m.socket_family >= 0) add_socket(seen_, m.socket_family, m.socket_type, first);
  if (m.port >= 0) add_port(seen_, m.port_kind, m.port_protocol, m.port, first);
  if (exec) commands_.erase(c.pid);  // its comm changes with the new program
  return {};
}

}  // namespace policy::learn
