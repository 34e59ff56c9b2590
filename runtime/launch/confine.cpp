#include "runtime/launch/confine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "compiler/common/error.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/launch/mounts.hpp"
#include "runtime/launch/seccomp.hpp"
#include "runtime/launch/spec.hpp"

namespace policy::launch::confine {

void report_failure(int fd, int sys_errno, int exit_code, const std::string& message) {
  ReportHeader h{sys_errno, exit_code, static_cast<uint32_t>(message.size())};
  std::string buf(reinterpret_cast<const char*>(&h), sizeof h);
  buf += message;
  if (::write(fd, buf.data(), buf.size()) < 0) {
  }
}

bool read_failure(int fd, ReportHeader& h, std::string& message, int listener,
                  notify::Handler* handler) {
  std::string buf;
  char chunk[4096];
  for (;;) {
    struct pollfd pf[2] = {{fd, POLLIN, 0}, {listener, POLLIN, 0}};
    if (::poll(pf, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pf[1].revents & POLLIN) notify::serve_pending(listener, *handler);
    if (pf[1].revents & (POLLHUP | POLLERR)) listener = -1;
    if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  if (buf.size() < sizeof h) return false;
  std::memcpy(&h, buf.data(), sizeof h);
  message = buf.substr(sizeof h, h.length);
  return true;
}

void reset_signals() {
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

std::vector<std::string> merge_env(const std::vector<std::string>& base,
                                   const std::map<std::string, std::string>& overrides) {
  std::vector<std::string> out;
  for (const auto& kv : base) {
    auto key = kv.substr(0, kv.find('='));
    if (!overrides.count(key)) out.push_back(kv);
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
}

void prepare_cwd(int root, const std::string& cwd, bool readonly) {
  UniqueFd fd;
  try {
    fd = mounts::open_in_root(root, cwd, O_PATH | O_DIRECTORY, "working directory");
  } catch (const Error&) {
    throw Error("working directory '" + cwd +
                    "' is not a directory inside the container root (it passes through a symlink "
                    "or /proc magic link that leaves the root); choose a plain path with -w",
                ELOOP);
  }
  if (!fd.valid() && !readonly)
    fd = mounts::ensure_in_root(root, cwd, mounts::Leaf::Dir, "working directory");
  if (!fd.valid())
    throw Error("working directory '" + cwd + "' does not exist in the read-only container root");
}

void enter_cwd(const std::string& cwd) {
  if (::chdir(cwd.c_str()) != 0) throw sys_error("chdir to the working directory", cwd);
  char buf[4096];
  if (!::getcwd(buf, sizeof buf) || buf[0] != '/')
    throw Error("working directory '" + cwd + "' is outside the container root; refusing to run",
                EXDEV);
}

void no_new_privs() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw sys_error("prctl(PR_SET_NO_NEW_PRIVS)");
}

void install_filter(const std::vector<sock_filter>& filter, bool supervised, int handoff) {
  if (supervised && !filter.empty())
    notify::install_with_listener(filter, handoff);
  else
    seccomp::install(filter);
}

// The parent holds the error pipe's read end until the run ends and the kernel closes it before
// it sends the parent-death signal, so a closed read end (POLLERR on the write end) means the
// signal was missed. Armed again after every change of credentials, which clears it.
void die_with_parent(int error_write, bool must_arm) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    if (must_arm) throw sys_error("prctl(PR_SET_PDEATHSIG)");
    return;
  }
  struct pollfd pf = {error_write, POLLOUT, 0};
  if (::poll(&pf, 1, 0) == 1 && (pf.revents & POLLERR)) ::_exit(kExitRuntimeError);
}

void flush(std::ostringstream& log, int fd) {
  std::string text = log.str();
  if (!text.empty() && ::write(fd, text.data(), text.size()) < 0) {
  }
  log.str("");
}

namespace {

std::string lookup_env(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env)
    if (kv.rfind(key + "=", 0) == 0) return kv.substr(key.size() + 1);
  return {};
}

// execve with a PATH search in the container's environment (not the runtime's). Returns only on
// failure, with errno set.
void exec_command(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> a, e;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  if (argv[0].find('/') != std::string::npos) {
    ::execve(argv[0].c_str(), a.data(), e.data());
    return;
  }
  std::string path = lookup_env(env, "PATH");
  if (path.empty()) path = kDefaultPath;
  int saved = ENOENT;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) dir = ".";
    std::string full = dir + "/" + argv[0];
    ::execve(full.c_str(), a.data(), e.data());
    if (errno != ENOENT && errno != ENOTDIR) saved = errno;
  }
  errno = saved;
}

}  // namespace

void exec_or_report(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    int error_write) {
  reset_signals();
  exec_command(argv, env);
  int e = errno;
  int code = (e == ENOENT || e == ENOTDIR) ? kExitNotFound : kExitCannotInvoke;
  const std::string message =
      "exec " + argv[0] + ": " + std::strerror(e) +
      (code == kExitNotFound ? " (not found in the container image's PATH)" : "");
  if (error_write >= 0) {
    report_failure(error_write, e, code, message);
  } else {  // nobody waits for the report (an OCI container's start): the command's stderr
    const std::string line = "policyrun: error: " + message + "\n";
    if (::write(2, line.data(), line.size()) < 0) {
    }
  }
  ::_exit(code);
}

void Channels::open(bool tty, bool notify) {
  int error_pipe[2], tty_pair[2] = {-1, -1}, handoff_pair[2] = {-1, -1};
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) throw sys_error("pipe2");
  error_read.reset(error_pipe[0]);
  error_write.reset(error_pipe[1]);
  if (tty && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty_pair) != 0)
    throw sys_error("socketpair for the tty");
  tty_parent.reset(tty_pair[0]);
  tty_child.reset(tty_pair[1]);
  if (notify && ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, handoff_pair) != 0)
    throw sys_error("socketpair for the seccomp listener's hand-over");
  handoff_parent.reset(handoff_pair[0]);
  handoff_child.reset(handoff_pair[1]);
}

void Channels::close_child_ends() {
  error_write.reset();
  tty_child.reset();
  handoff_child.reset();
}

void require_single_thread(const char* who) {
  std::istringstream status(files::read("/proc/self/status"));
  for (std::string line; std::getline(status, line);)
    if (line.rfind("Threads:", 0) == 0 && std::stoi(line.substr(8)) != 1)
      throw LaunchError(std::string(who) + ": the calling process runs " + line.substr(9) +
                            " threads; policyrun's " + who +
                            " must be called from a single-threaded process (fork first, or "
                            "call it before starting threads)",
                        0, kExitRuntimeError);
}

}  // namespace policy::launch::confine
