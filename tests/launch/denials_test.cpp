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
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/landlock.hpp"
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

// ---- explain mode, through the real policyrun ----

namespace {

// A policy that refuses by the default (errno(EPERM)), by one errno rule with an argument
// condition (netlink sockets), and by Landlock (read-only /bin and /etc, write-only /tmp).
const char* kExplainPolicy = R"(include "groups/standard.pol"
policy explain {
  syscalls default errno(EPERM) {
    allow @default-core, @arch-runtime, @basic-io, @file-system-core, @process-core
    allow @system-service-core, @signal-core, clone, wait4
    errno(EAFNOSUPPORT) socket(domain in {AF_NETLINK})
    allow socket(domain in {AF_UNIX, AF_INET})
  }
  filesystem { read /bin/**, /etc/**; exec /bin/**; write /tmp/**, /dev/null }
  namespaces { mount, pid, ipc, uts, net }
  process { no_new_privileges }
}
)";

const std::string& explain_policy() {
  static const std::string path = [] {
    std::string p = launch_test::scratch() + "/explain.pol";
    std::ofstream(p) << kExplainPolicy;
    return p;
  }();
  return path;
}

// "FILE:LINE:COL" of the first occurrence of `text` in the policy.
std::string loc_of(const std::string& text) {
  std::istringstream in(kExplainPolicy);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (auto col = line.find(text); col != std::string::npos)
      return explain_policy() + ":" + std::to_string(n) + ":" + std::to_string(col + 1);
  }
  return "?";
}

launch_test::CliResult explain_run(const std::vector<std::string>& options,
                                   const std::string& script,
                                   const std::string& policy_file = explain_policy()) {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  std::vector<std::string> args = {"--policy",
                                   policy_file,
                                   "-I",
                                   std::string(src ? src : ".") + "/policies",
                                   "--root",
                                   launch_test::state_root(),
                                   "--explain-files"};
  args.insert(args.end(), options.begin(), options.end());
  for (const std::string& a :
       {launch_test::busybox_layer(), std::string("/bin/sh"), std::string("-c"), script})
    args.push_back(a);
  return launch_test::run_policyrun(args);
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

bool have_landlock() {
  return policy::launch::landlock_abi() > 0;
}

// The workload of the tests: a Landlock refusal (read of a write-only file, twice), a seccomp
// errno rule (netlink socket) and the default (bind); errors go to stdout with their errno text.
const char* kWorkload =
    "echo x > /tmp/f; cat /tmp/f 2>&1; cat /tmp/f 2>&1; busybox ip link 2>&1; "
    "busybox nc -l -p 80 2>&1; echo done";

}  // namespace

TEST(ExplainedRefusals, LandlockReadNamesTheCallThePathAndTheRule) {
  if (!have_landlock()) GTEST_SKIP() << "this kernel has no Landlock";
  auto r = explain_run({}, kWorkload);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string line = "policyrun: denied: openat(AT_FDCWD, \"/tmp/f\", O_RDONLY";
  EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("by Landlock: no rule of explain.pol allows read on /tmp/f (" +
                       loc_of("/tmp/**") + " allows write /tmp/**)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(count(r.err, line), 1u) << "once per distinct refusal\n" << r.err;
  EXPECT_NE(r.out.find("cat: can't open '/tmp/f': Permission denied"), std::string::npos) << r.out;
}

TEST(ExplainedRefusals, SeccompErrnoNamesTheSyscallItsArgumentsAndTheRule) {
  auto r = explain_run({}, kWorkload);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("policyrun: denied: socket(AF_NETLINK, SOCK_RAW"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("by seccomp: " + loc_of("socket(domain in {AF_NETLINK})") +
                       ": errno(EAFNOSUPPORT) socket(domain in {AF_NETLINK})"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("policyrun: denied: bind(3, \"0.0.0.0:80\", 16) by seccomp: "
                       "errno(EPERM) from the default of explain.pol"),
            std::string::npos)
      << r.err;
}

// The program sees exactly what it sees without explain mode: the policy's errno, Landlock's
// EACCES, and everything else as before.
TEST(ExplainedRefusals, TheProgramSeesTheSameResultsAsWithExplainOff) {
  auto on = explain_run({}, kWorkload);
  auto off = explain_run({"--explain-denials=off"}, kWorkload);
  ASSERT_EQ(on.status, 0) << on.err;
  ASSERT_EQ(off.status, 0) << off.err;
  EXPECT_EQ(on.out, off.out);
  EXPECT_NE(on.out.find("Address family not supported"), std::string::npos) << on.out;
  EXPECT_EQ(off.err.find("denied:"), std::string::npos) << off.err;
}

TEST(ExplainedRefusals, QuietPrintsNoExplanation) {
  auto r = explain_run({"--quiet"}, kWorkload);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("denied"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("done"), std::string::npos) << r.out;
}

TEST(ExplainedRefusals, JsonLinesParseAndNameTheLayerAndTheRule) {
  const std::string file = launch_test::scratch() + "/denials.jsonl";
  auto r = explain_run({"--explain-denials=json:" + file}, kWorkload);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("denied"), std::string::npos) << r.err;
  std::istringstream lines(launch_test::slurp(file));
  std::set<std::string> layers;
  bool rule_named = false;
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);  // throws (fails the test) on a bad line
    layers.insert(j.at("layer").get<std::string>());
    EXPECT_TRUE(j.contains("syscall") && j.contains("call") && j.contains("decided_by")) << line;
    if (j.value("syscall", "") == "socket")
      rule_named = rule_named || j.value("rule", "") == loc_of("socket(domain in {AF_NETLINK})");
  }
  EXPECT_TRUE(layers.count("seccomp"));
  if (have_landlock()) {
    EXPECT_TRUE(layers.count("landlock"));
  }
  EXPECT_TRUE(rule_named);
}

// Landlock judges the file a symlink leads to, inside the container's root: a link to a readable
// file is no refusal, and a refused read through a link names the file it reaches.
TEST(ExplainedRefusals, LandlockFollowsSymlinksInsideTheContainer) {
  if (!have_landlock()) GTEST_SKIP() << "this kernel has no Landlock";
  auto r = explain_run(
      {},
      "echo x > /tmp/f; busybox ln -s /etc/passwd /tmp/ok; "
      "busybox ln -s /tmp/f /tmp/bad; cat /tmp/ok >/dev/null; cat /tmp/bad 2>&1; echo done");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("\"/tmp/ok\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("openat(AT_FDCWD, \"/tmp/bad\", O_RDONLY"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("allows read on /tmp/f "), std::string::npos) << r.err;
}

// Landlock's TCP port rules: a bind to a port no rule allows is explained with the rules that
// allow others; an allowed port is not.
TEST(ExplainedRefusals, LandlockBindOfAPortNoRuleAllows) {
  if (policy::launch::landlock_abi() < 4) GTEST_SKIP() << "this kernel's Landlock has no TCP rules";
  const std::string pol = launch_test::scratch() + "/ports.pol";
  std::ofstream(pol) << R"(include "groups/standard.pol"
policy ports {
  syscalls default errno(EPERM) {
    allow @default-core, @arch-runtime, @basic-io, @file-system-core, @process-core
    allow @system-service-core, @signal-core, @network-io-core, clone, wait4, poll
    allow socket(domain in {AF_UNIX, AF_INET, AF_INET6})
  }
  network { inet stream, inet6 stream, unix; bind tcp 8000 }
  namespaces { mount, pid, ipc, uts, net }
  process { no_new_privileges }
}
)";
  auto r = explain_run({},
                       "busybox timeout 1 busybox nc -l -p 8000 2>&1; "
                       "busybox nc -l -p 81 2>&1; echo done",
                       pol);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;
  // busybox nc listens on the IPv6 wildcard.
  EXPECT_NE(
      r.err.find(":81\", 28) by Landlock: no rule of ports.pol allows bind tcp 81 (" + pol + ":8:"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" allows bind tcp 8000)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("tcp 8000 ("), std::string::npos) << r.err;
}

// The runtime looks the command up in PATH with one execve per directory: the directories where
// it does not exist are no refusal (ENOENT comes before Landlock's check).
TEST(ExplainedRefusals, ACommandFoundThroughPathIsNoRefusal) {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  auto r = launch_test::run_policyrun(
      {"--policy", explain_policy(), "-I", std::string(src ? src : ".") + "/policies", "--root",
       launch_test::state_root(), launch_test::busybox_layer(), "sh", "-c", "echo hi"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err.find("denied"), std::string::npos) << r.err;
}

// With --init the command is forked by the container's init after the filter is in: its calls
// are supervised the same way.
TEST(ExplainedRefusals, WorksUnderTheContainersInit) {
  auto r = explain_run({"--init"}, kWorkload);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("done"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("policyrun: denied: socket(AF_NETLINK, SOCK_RAW"), std::string::npos)
      << r.err;
}

// errno(ENOSYS) says "not implemented": the C library falls back (clone3 -> clone under the
// shipped policies), so it is neither reported nor sent to policyrun; the program still gets it.
TEST(ExplainedRefusals, AnEnosysAnswerIsNotReported) {
  std::string text = kExplainPolicy;
  const std::string rule = "errno(EAFNOSUPPORT) socket(domain in {AF_NETLINK})";
  text.replace(text.find(rule), rule.size(), "errno(ENOSYS) socket(domain in {AF_NETLINK})");
  const std::string pol = launch_test::scratch() + "/explain-enosys.pol";
  std::ofstream(pol) << text;
  auto r = explain_run({}, "busybox ip link 2>&1; echo done", pol);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Function not implemented"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("denied: socket(AF_NETLINK"), std::string::npos) << r.err;
}

// Without --explain-files the file calls do not stop in policyrun (nginx serves 0.37x the
// requests when they do): seccomp's refusals are still explained, Landlock's are not, and a
// failing command gets a note that says how to see them.
TEST(ExplainedRefusals, LandlockIsExplainedOnlyWithExplainFiles) {
  if (!have_landlock()) GTEST_SKIP() << "this kernel has no Landlock";
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  auto r = launch_test::run_policyrun({"--policy", explain_policy(), "-I",
                                       std::string(src ? src : ".") + "/policies", "--root",
                                       launch_test::state_root(), launch_test::busybox_layer(),
                                       "/bin/sh", "-c", std::string(kWorkload) + "; cat /tmp/f"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("cat: can't open '/tmp/f': Permission denied"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("by Landlock"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("by seccomp"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("policyrun: note: the command exited with status 1; a file or port "
                       "Landlock refused is explained with --explain-files"),
            std::string::npos)
      << r.err;
}
