#include "runtime/launch/notify.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/launch/seccomp.hpp"

namespace policy::launch::notify {
namespace {

// ---- the child's side ----

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// A magic link's target; a file or directory removed since it was opened (a bind-mounted file
// that was replaced, for one) keeps its old name there, with " (deleted)" after it.
std::string link_target(const std::string& link) {
  char buf[4096];
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return {};
  std::string target(buf, static_cast<size_t>(n));
  constexpr std::string_view deleted = " (deleted)";
  if (target.size() > deleted.size() && ends_with(target, deleted))
    target.resize(target.size() - deleted.size());
  return target;
}

// ---- the parent's side ----

// The fd is the seccomp listener when its anon inode says so.
bool is_listener(int fd) {
  return link_target("/proc/self/fd/" + std::to_string(fd)) == "anon_inode:seccomp notify";
}

bool child_exited(int pidfd) {
  struct pollfd pf = {pidfd, POLLIN, 0};
  return ::poll(&pf, 1, 0) == 1;
}

// Reads the announced fd number; false when the hand-over closed first (the child failed).
bool read_fd_number(int handoff_fd, int pidfd, int& number) {
  char buf[sizeof number];
  size_t got = 0;
  while (got < sizeof buf) {
    struct pollfd pf[2] = {{handoff_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    if (::poll(pf, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw sys_error("poll for the seccomp listener's hand-over");
    }
    if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) return false;  // the child exited
    ssize_t n = ::read(handoff_fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  std::memcpy(&number, buf, sizeof number);
  return true;
}

// ---- decoding a call ----

// Reads memory of the calling process: `size` bytes at `address`, page by page (a string may
// end just before an unmapped page). Returns what could be read.
std::string read_memory(int mem, uint64_t address, size_t size, bool stop_at_nul) {
  std::string out;
  while (out.size() < size) {
    const size_t page_left = 4096 - (address % 4096);
    const size_t want = std::min(page_left, size - out.size());
    char buf[4096];
    ssize_t n = ::pread(mem, buf, want, static_cast<off_t>(address));
    if (n <= 0) break;
    if (stop_at_nul) {
      if (const void* nul = std::memchr(buf, 0, static_cast<size_t>(n))) {
        out.append(buf, static_cast<size_t>(static_cast<const char*>(nul) - buf));
        return out;
      }
    }
    out.append(buf, static_cast<size_t>(n));
    address += static_cast<uint64_t>(n);
  }
  return stop_at_nul ? std::string() : out;  // a string without its NUL was not read whole
}

// The process's view of a host path: a chroot-ed process's cwd is shown with its root's prefix
// (a pivot_root-ed one's is already as the container sees it).
std::string in_container(const std::string& path, const std::string& root) {
  if (root.empty() || root == "/") return path;
  if (path == root) return "/";
  if (path.rfind(root + "/", 0) == 0) return path.substr(root.size());
  return path;
}

}  // namespace

std::string process_link(pid_t pid, const std::string& link) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const std::string target = link_target(proc + "/" + link);
  if (target.empty() || target[0] != '/') return {};  // a socket, a pipe, an anon inode
  return in_container(target, link_target(proc + "/root"));
}

namespace {

// `path` made absolute against the caller's cwd or the directory behind `dirfd`.
std::string absolute(const std::string& path, pid_t pid, std::optional<int> dirfd) {
  if (path.empty() || path[0] == '/') return path;
  const std::string dir =
      process_link(pid, !dirfd || *dirfd == AT_FDCWD ? "cwd" : "fd/" + std::to_string(*dirfd));
  if (dir.empty()) return path;  // not a directory we can name
  return dir == "/" ? "/" + path : dir + "/" + path;
}

// The caller's own magic links (/proc/self/exe, /proc/self/fd/N/..., cwd, root) as the kernel
// follows them for the caller: the supervisor's "self" is not in the container's procfs, so they
// are read from the caller's /proc/PID here.
std::optional<std::string> own_magic_link(pid_t pid, const std::string& path) {
  std::string rest;
  for (const char* self : {"/proc/self/", "/proc/thread-self/"})
    if (path.rfind(self, 0) == 0) rest = path.substr(std::strlen(self));
  if (rest.empty()) return std::nullopt;
  size_t end = rest.find('/');
  if (rest.rfind("fd/", 0) == 0) end = rest.find('/', 3);
  const std::string link = rest.substr(0, end);
  if (link != "exe" && link != "cwd" && link != "root" && link.rfind("fd/", 0) != 0)
    return std::nullopt;
  const std::string inside = process_link(pid, link);
  if (inside.empty()) return std::nullopt;
  const std::string tail = end == std::string::npos ? "" : rest.substr(end);
  return inside == "/" && !tail.empty() ? tail : inside + tail;
}

void decode_paths(Call& c, int mem) {
  const std::vector<std::string> names = syscall_arg_names(c.name);
  std::optional<int> dirfd;
  int found = 0;
  for (unsigned i = 0; i < names.size() && i < 6 && found < 2; ++i) {
    if (ends_with(names[i], "dirfd")) dirfd = static_cast<int>(c.args[i]);
    if (!is_path_argument(names[i]) || !syscall_arg_is_pointer(c.name, i)) continue;
    std::string p = read_memory(mem, c.args[i], 4096, true);
    if (p.empty() && c.args[i] == 0) continue;
    (found++ == 0 ? c.path : c.path2) = absolute(p, c.pid, dirfd);
  }
}

void decode_sockaddr(Call& c, int mem) {
  const size_t len = std::min<uint64_t>(c.args[2], sizeof(sockaddr_storage));
  std::string raw = read_memory(mem, c.args[1], len, false);
  if (raw.size() < sizeof(sa_family_t)) return;
  sockaddr_storage ss{};
  std::memcpy(&ss, raw.data(), raw.size());
  c.family = ss.ss_family;
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET && raw.size() >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    c.port = ntohs(in->sin_port);
    c.address = std::string(text) + ":" + std::to_string(c.port);
  } else if (ss.ss_family == AF_INET6 && raw.size() >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    c.port = ntohs(in6->sin6_port);
    c.address = "[" + std::string(text) + "]:" + std::to_string(c.port);
  } else if (ss.ss_family == AF_UNIX && raw.size() > sizeof(sa_family_t)) {
    std::string path = raw.substr(sizeof(sa_family_t));
    if (path[0] == '\0') {
      c.address = "@" + path.substr(1);
    } else {
      c.address = path.substr(0, path.find('\0'));
    }
  }
}

}  // namespace

void install_with_listener(const std::vector<sock_filter>& program, int handoff_fd) {
  // The listener gets the lowest free descriptor: find it now and announce it.
  const int probe = ::dup(handoff_fd);
  if (probe < 0) throw sys_error("seccomp: find a descriptor for the notification listener");
  ::close(probe);
  runtime::write_fd(handoff_fd,
                    std::string_view(reinterpret_cast<const char*>(&probe), sizeof probe),
                    "seccomp: announce the notification listener");
  const int listener = seccomp::install(program, SECCOMP_FILTER_FLAG_NEW_LISTENER);
  if (listener != probe)
    throw Error("seccomp: the notification listener got fd " + std::to_string(listener) +
                " instead of the announced " + std::to_string(probe));
  char ok = 0;
  ssize_t n;
  do n = ::read(handoff_fd, &ok, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1 || ok != 'k')
    throw Error("seccomp: the supervisor did not take the notification listener");
  ::close(handoff_fd);
  ::close(listener);  // the supervisor holds its own copy now
}

UniqueFd take_listener(int pidfd, int handoff_fd, int timeout_ms) {
  int number = -1;
  if (!read_fd_number(handoff_fd, pidfd, number)) return UniqueFd();
  struct timespec start, now;
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, number, 0)));
    if (fd.valid() && is_listener(fd.get())) {
      // MSG_NOSIGNAL: a child that died meanwhile must not kill policyrun with SIGPIPE.
      if (::send(handoff_fd, "k", 1, MSG_NOSIGNAL) == 1) return fd;
      if (child_exited(pidfd)) return UniqueFd();
      throw LaunchError(std::string("seccomp: releasing the container after taking its "
                                    "notification listener failed: ") +
                            std::strerror(errno),
                        errno, kExitRuntimeError);
    }
    if (!fd.valid() && errno == ESRCH) return UniqueFd();
    if (!fd.valid() && errno != EBADF)
      throw LaunchError(std::string("seccomp: pidfd_getfd of the container's notification "
                                    "listener failed: ") +
                            std::strerror(errno) + " (needs Linux 5.6 and ptrace access)",
                        errno, kExitRuntimeError);
    if (child_exited(pidfd)) return UniqueFd();
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 > timeout_ms)
      throw LaunchError("seccomp: the container did not install its filter within " +
                            std::to_string(timeout_ms) + " ms after announcing the listener",
                        ETIMEDOUT, kExitRuntimeError);
    struct timespec ms = {0, 1000000};
    ::nanosleep(&ms, nullptr);
  }
}

std::optional<Call> receive(int listener) {
  struct pollfd pf = {listener, POLLIN, 0};
  if (::poll(&pf, 1, 0) != 1 || !(pf.revents & POLLIN)) return std::nullopt;
  struct seccomp_notif n;
  std::memset(&n, 0, sizeof n);  // the kernel refuses a struct that is not zeroed
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) != 0) {
    if (errno == ENOENT || errno == EINTR) return std::nullopt;  // the caller died meanwhile
    throw sys_error("seccomp: receive a notification (SECCOMP_IOCTL_NOTIF_RECV)");
  }
  Call c;
  c.id = n.id;
  c.pid = static_cast<pid_t>(n.pid);
  c.arch = n.data.arch;
  c.nr = n.data.nr;
  for (int i = 0; i < 6; ++i) c.args[i] = n.data.args[i];
  // libseccomp's arch tokens are the AUDIT_ARCH_* values seccomp_data carries.
  c.name = names::syscall_name(c.nr, c.arch).value_or("syscall_" + std::to_string(c.nr));
  const bool sockaddr = c.name == "bind" || c.name == "connect";
  UniqueFd mem(::open(("/proc/" + std::to_string(c.pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  if (mem.valid()) {
    if (sockaddr)
      decode_sockaddr(c, mem.get());
    else
      decode_paths(c, mem.get());
  }
  // What was read belongs to the call only if the call is still waiting (the pid was not
  // reused, the thread was not killed in between).
  uint64_t id = c.id;
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return std::nullopt;
  return c;
}

void respond(int listener, const Call& call, const Reply& reply) {
  struct seccomp_notif_resp r;
  std::memset(&r, 0, sizeof r);
  r.id = call.id;
  if (reply.kind == Reply::Continue) {
    r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else {
    if (reply.error < 0) throw Error("seccomp: a negative errno in the reply to " + call.name);
    r.error = -reply.error;
  }
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r) != 0 && errno != ENOENT)
    throw sys_error("seccomp: answer a notification (SECCOMP_IOCTL_NOTIF_SEND)");
}

// Argument names that hold a path the kernel resolves (symlink's `target` is the link's text,
// mount's `target` and `source` are not always paths: not these).
bool is_path_argument(std::string_view name) {
  return name == "pathname" || name == "path" || name == "filename" || name == "oldpath" ||
         name == "newpath" || name == "linkpath";
}

Resolved resolve_in_container(pid_t pid, const std::string& given) {
  const std::string proc = "/proc/" + std::to_string(pid);
  UniqueFd root(::open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid() || given.empty() || given[0] != '/') return {given, false};
  const std::string root_path = link_target(proc + "/root");
  const std::string path = own_magic_link(pid, given).value_or(given);
  bool directory = false;
  auto named = [&](const std::string& p) -> std::optional<std::string> {
    UniqueFd fd = runtime::openat2(root.get(), p, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (!fd.valid()) return std::nullopt;
    std::string target = link_target("/proc/self/fd/" + std::to_string(fd.get()));
    if (target.empty() || target[0] != '/') return std::nullopt;
    struct stat st {};
    directory = ::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode);
    return in_container(target, root_path);
  };
  if (auto whole = named(path)) return {*whole, true, directory};
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const size_t slash = trimmed.find_last_of('/');
  const std::string parent = slash == 0 ? "/" : trimmed.substr(0, slash);
  const std::string leaf = trimmed.substr(slash + 1);
  auto dir = named(parent);
  if (!dir) return {path, false};
  return {*dir == "/" ? "/" + leaf : *dir + "/" + leaf, false, false};
}

void serve_pending(int listener, Handler& handler) {
  // One call: the caller's poll reports the next (a second receive would poll once more for
  // nothing in the common case of one waiting call).
  if (auto call = receive(listener)) respond(listener, *call, handler.on_call(*call));
}

}  // namespace policy::launch::notify
