#include "compiler/apparmor/parser_tool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "compiler/common/error.hpp"

namespace policy::apparmor {
namespace {

bool executable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

std::string apparmor_parser_path() {
  if (const char* env = std::getenv("APPARMOR_PARSER"); env && *env) {
    if (executable(env)) return env;
    throw Error(std::string("APPARMOR_PARSER=") + env + " is not an executable file; unset it or " +
                "point it at apparmor_parser");
  }
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin";
  std::istringstream in(dirs);
  for (std::string d; std::getline(in, d, ':');) {
    if (d.empty()) continue;
    if (executable(d + "/apparmor_parser")) return d + "/apparmor_parser";
  }
  throw Error(
      "apparmor_parser not found on $PATH, /usr/sbin or /sbin; install it with "
      "`apt-get install apparmor` (or set APPARMOR_PARSER)");
}

ParserRun run_apparmor_parser(const std::vector<std::string>& args, const std::string& profile) {
  std::string path = apparmor_parser_path();
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) throw sys_error("pipe for apparmor_parser");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]);
    throw sys_error("pipe for apparmor_parser");
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]), close(out[0]), close(out[1]);
    throw sys_error("pipe for apparmor_parser");
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    throw sys_error("fork for apparmor_parser");
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  close(in[0]), close(out[1]), close(err[1]);
  int wfd = in[1], ofd = out[0], efd = err[0];
  // The parser may write before it has read everything: feed and drain at the same time.
  size_t written = 0;
  ParserRun run;
  auto* old_pipe = signal(SIGPIPE, SIG_IGN);
  while (wfd >= 0 || ofd >= 0 || efd >= 0) {
    pollfd fds[3];
    int n = 0;
    if (wfd >= 0) fds[n++] = {wfd, POLLOUT, 0};
    if (ofd >= 0) fds[n++] = {ofd, POLLIN, 0};
    if (efd >= 0) fds[n++] = {efd, POLLIN, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == wfd) {
        ssize_t k = write(wfd, profile.data() + written, profile.size() - written);
        if (k > 0) written += static_cast<size_t>(k);
        if (k < 0 || written == profile.size()) close_fd(wfd);
      } else {
        char buf[8192];
        ssize_t k = read(fds[i].fd, buf, sizeof buf);
        if (k > 0) {
          (fds[i].fd == ofd ? run.out : run.err).append(buf, static_cast<size_t>(k));
        } else if (k == 0 || errno != EINTR) {
          if (fds[i].fd == ofd)
            close_fd(ofd);
          else
            close_fd(efd);
        }
      }
    }
  }
  signal(SIGPIPE, old_pipe);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (run.exit_status == 127 && run.err.empty()) run.err = "cannot execute " + path;
  return run;
}

std::optional<std::string> check_profile(const std::string& profile) {
  auto run = run_apparmor_parser({"-Q", "-K"}, profile);
  if (run.exit_status == 0) return std::nullopt;
  return run.err.empty() ? "apparmor_parser exited with status " + std::to_string(run.exit_status)
                         : run.err;
}

std::string binary_policy(const std::string& profile) {
  auto run = run_apparmor_parser({"-Q", "-K", "-S"}, profile);
  if (run.exit_status != 0) throw Error("apparmor_parser -QKS refused the profile: " + run.err);
  return run.out;
}

void load_profile(const std::string& profile) {
  auto run = run_apparmor_parser({"-K", "-r"}, profile);
  if (run.exit_status != 0)
    throw Error("apparmor_parser -Kr could not load the profile into the kernel: " + run.err +
                "(is securityfs mounted at /sys/kernel/security and are you root?)");
}

}  // namespace policy::apparmor
