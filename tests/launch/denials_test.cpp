// Every refusal explained (issue 12): the seccomp user-notification core (runtime/launch/notify)
// and explain mode (runtime/launch/denials), run against the real kernel and the real policyrun.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/notify.hpp"

namespace fs = std::filesystem;
namespace notify = policy::launch::notify;

namespace {

// Records each call and answers it with a fixed reply.
struct Recorder : notify::Handler {
  notify::Reply reply;
  std::vector<notify::Call> calls;
  notify::Reply on_call(const notify::Call& c) override {
    calls.push_back(c);
    return reply;
  }
};

// Forks a child that installs `filter` with a listener and then runs `body` (its exit status is
// body's result); the parent takes the listener and serves it with `handler` until the child
// exits. Returns the child's exit status.
template <class Body>
int run_notified(const std::vector<sock_filter>& filter, notify::Handler& handler, Body body) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pair[0]);
    ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    try {
      notify::install_with_listener(filter, pair[1]);
    } catch (...) {
      ::_exit(100);
    }
    ::_exit(body());
  }
  ::close(pair[1]);
  policy::launch::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  policy::launch::UniqueFd handoff(pair[0]);
  policy::launch::UniqueFd listener = notify::take_listener(pidfd.get(), handoff.get());
  EXPECT_TRUE(listener.valid());
  for (bool open = listener.valid(); open;) {
    struct pollfd pf[2] = {{listener.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    if (::poll(pf, 2, -1) < 0) continue;
    if (pf[0].revents & POLLIN) notify::serve_pending(listener.get(), handler);
    if (pf[0].revents & POLLHUP) open = false;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

// The supervisor sees the call with its path made absolute against the caller's cwd, and the
// caller gets the errno the supervisor answers with.
TEST(NotifyCore, RelativePathIsDecodedAndTheErrorReplyIsWhatTheCallerSees) {
  const std::string dir = launch_test::scratch() + "/notify-core";
  fs::create_directories(dir);
  Recorder rec;
  rec.reply = {notify::Reply::Error, EXDEV};
  auto filter = launch_test::seccomp_filter({"mkdir", "mkdirat"}, SCMP_ACT_NOTIFY);
  int status = run_notified(filter, rec, [&] {
    if (::chdir(dir.c_str()) != 0) return 1;
    if (::mkdir("sub", 0755) == 0) return 2;
    return errno == EXDEV ? 0 : 3;
  });
  EXPECT_EQ(status, 0);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_TRUE(rec.calls[0].name == "mkdir" || rec.calls[0].name == "mkdirat") << rec.calls[0].name;
  EXPECT_EQ(rec.calls[0].path, dir + "/sub");
  EXPECT_FALSE(fs::exists(dir + "/sub"));
}

// CONTINUE lets the kernel run the call; bind's address is decoded.
TEST(NotifyCore, ContinueRunsTheCallAndBindsAddressIsDecoded) {
  Recorder rec;
  rec.reply = {notify::Reply::Continue, 0};
  auto filter = launch_test::seccomp_filter({"bind"}, SCMP_ACT_NOTIFY);
  int status = run_notified(filter, rec, [] {
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a {};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 ? 0 : 1;
  });
  EXPECT_EQ(status, 0);
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0].name, "bind");
  EXPECT_EQ(rec.calls[0].family, AF_INET);
  EXPECT_EQ(rec.calls[0].address, "127.0.0.1:0");
}

// launch() with a handler: the container's calls reach the supervisor, with paths as the
// container sees them, and the container sees the supervisor's errno; the run still ends.
TEST(NotifyLaunch, ContainerCallsReachTheHandlerWithContainerPaths) {
  Recorder rec;
  rec.reply = {notify::Reply::Error, EXDEV};
  auto policy = launch_test::docker_like_policy();
  auto req = launch_test::busybox_request(policy, {"sh", "-c", "cd /tmp && mkdir sub; echo $?"});
  req.seccomp_filter = launch_test::seccomp_filter({"mkdir", "mkdirat"}, SCMP_ACT_NOTIFY);
  req.notify = &rec;
  auto r = launch_test::run_request(req);
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  EXPECT_EQ(r.out, "1\n");
  EXPECT_NE(r.err.find("Invalid cross-device link"), std::string::npos) << r.err;
  ASSERT_EQ(rec.calls.size(), 1u);
  EXPECT_EQ(rec.calls[0].path, "/tmp/sub");
}
