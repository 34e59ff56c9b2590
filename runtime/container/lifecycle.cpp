#include "runtime/container/lifecycle.hpp"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <sstream>

#include "compiler/common/error.hpp"
#include "runtime/launch/files.hpp"

namespace policy::container {
namespace {

namespace files = launch::files;

// A pidfd of the supervisor, checked to be it (invalid: it is gone).
runtime::UniqueFd open_supervisor(const State& s) {
  if (s.supervisor_pid <= 0) return {};
  runtime::UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, s.supervisor_pid, 0)));
  if (!fd.valid() || !supervisor_alive(s)) return {};
  return fd;
}

// True when `fd` (a pidfd; invalid: already gone) reports its process's exit within timeout_ms.
bool wait_pidfd(const runtime::UniqueFd& fd, int timeout_ms) {
  if (!fd.valid()) return true;
  struct pollfd pf = {fd.get(), POLLIN, 0};
  for (;;) {
    const int n = ::poll(&pf, 1, timeout_ms);
    if (n >= 0) return n > 0;
    if (errno != EINTR) throw sys_error("poll a pidfd");
  }
}

std::string ago(int64_t ns) {
  const int64_t s = ns / 1000000000;
  auto plural = [](int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  if (s < 1) return "Less than a second";
  if (s < 60) return plural(s, "second");
  if (s < 120) return "About a minute";
  if (s < 3600) return plural(s / 60, "minute");
  if (s < 7200) return "About an hour";
  if (s < 48 * 3600) return plural(s / 3600, "hour");
  return plural(s / 86400, "day");
}

}  // namespace

bool signal_init(const State& s, int sig) {
  runtime::UniqueFd fd = open_init(s);
  if (!fd.valid()) return false;
  if (::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0) != 0) {
    if (errno == ESRCH) return false;
    throw sys_error("send signal " + std::to_string(sig) + " to container " + s.name + " (pid " +
                    std::to_string(s.pid) + ")");
  }
  return true;
}

void kill_all(const State& s) {
  const std::string tail = "/policyrun/" + s.id;
  for (const auto& dir : s.cgroup_dirs) {
    // Only the run's own cgroup: a damaged state file cannot aim the kill elsewhere.
    if (dir.size() <= tail.size() || dir.compare(dir.size() - tail.size(), tail.size(), tail) ||
        dir.find("/../") != std::string::npos)
      continue;
    if (files::exists(dir + "/cgroup.kill") && files::try_write(dir + "/cgroup.kill", "1"))
      continue;
    std::istringstream in(files::try_read(dir + "/cgroup.procs").value_or(""));
    for (pid_t p; in >> p;) ::kill(p, SIGKILL);
  }
  signal_init(s, SIGKILL);
}

bool wait_init(const State& s, int timeout_ms) {
  return wait_pidfd(open_init(s), timeout_ms);
}

bool wait_supervisor(const State& s, int timeout_ms) {
  return wait_pidfd(open_supervisor(s), timeout_ms);
}

int signal_number(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (n.rfind("SIG", 0) == 0) n = n.substr(3);
  if (!n.empty() && n.find_first_not_of("0123456789") == std::string::npos && n.size() < 4) {
    const int sig = std::stoi(n);
    if (sig > 0 && sig < NSIG) return sig;
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev && n == abbrev) return sig;
  }
  throw Error("unknown signal '" + name + "': give a name (TERM, SIGKILL, HUP...) or a number");
}

std::string status_text(const State& s, int64_t now_ns) {
  switch (s.status) {
    case Status::Created:
      return "Created";
    case Status::Running:
      return "Up " + ago(now_ns - s.started_ns);
    case Status::Exited:
      return "Exited (" + std::to_string(s.exit_code) + ") " + ago(now_ns - s.finished_ns) +
             " ago" + (s.exit_note.empty() ? "" : " (" + s.exit_note + ")");
  }
  return "";
}

}  // namespace policy::container
