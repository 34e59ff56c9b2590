// run (foreground, short form, -d), ps, stop, kill, rm, logs and wait through the real policyrun
// binary, against real containers of the busybox image, each test under a --root of its own.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "container/life_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace life_test {
namespace {

using policy::container::State;
using policy::container::Status;

class LifeCommands : public LifeTest {
 protected:
  void SetUp() override {
    LifeTest::SetUp();
    SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  }
  // run -d; the id it printed.
  std::string detach(const std::string& script, std::vector<std::string> options = {}) {
    options.insert(options.begin(), "-d");
    auto r = pr("run", run_args(options, script));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::string id = r.out;
    if (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }
};

TEST_F(LifeCommands, RunDetachedPrintsTheIdOnceRunningAndKeepsItsOutput) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string id = detach("echo out; echo err >&2; sleep 1; printf 'no newline'; exit 3",
                                {"-e", "K=V", "-w", "/tmp", "-u", "0:0"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900))
      << "run -d waited for the command";
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{12}"))) << id;
  State s = state(id);
  EXPECT_EQ(s.status, Status::Running);
  EXPECT_TRUE(s.detached);
  EXPECT_EQ(s.image, image_);
  EXPECT_EQ(s.command, (std::vector<std::string>{"sh", "-c", s.command.at(2)}));
  EXPECT_EQ(s.cwd, "/tmp");
  EXPECT_EQ(s.user, "0:0");
  EXPECT_NE(std::find(s.env.begin(), s.env.end(), "K=V"), s.env.end());
  EXPECT_EQ(s.policy_name, "box");
  EXPECT_EQ(s.policy_sha256.size(), 64u);
  // The pid is the host's pid of the container's first process, in namespaces of its own.
  ASSERT_GT(s.pid, 0);
  EXPECT_EQ(policy::container::starttime(s.pid), s.pid_starttime);
  EXPECT_NE(std::filesystem::read_symlink("/proc/" + std::to_string(s.pid) + "/ns/pid"),
            std::filesystem::read_symlink("/proc/self/ns/pid"));
  // The supervisor is in a session of its own (the terminal's SIGHUP/SIGINT are not its).
  EXPECT_EQ(::getsid(s.supervisor_pid), s.supervisor_pid);
  EXPECT_NE(::getsid(s.supervisor_pid), ::getsid(0));

  auto ps = pr("ps", {});
  EXPECT_NE(ps.out.find(id), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find("Up "), std::string::npos) << ps.out;
  EXPECT_NE(ps.out.find(std::to_string(s.pid)), std::string::npos) << ps.out;

  auto w = pr("wait", {id});
  EXPECT_EQ(w.status, 3) << w.err;
  EXPECT_EQ(w.out, "3\n");
  auto logs = pr("logs", {id});
  EXPECT_EQ(logs.out, "out\nno newline");
  EXPECT_EQ(logs.err, "err\n");
  EXPECT_EQ(pr("logs", {"--tail", "1", id}).out, "no newline");
  // Docker's json-file shape.
  const std::string first =
      launch_test::slurp(root_ + "/containers/" + id + "/log.json").substr(0, 200);
  EXPECT_TRUE(std::regex_search(
      first,
      std::regex(
          R"re(^\{"log":"(out|err)\\n","stream":"std(out|err)","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"\})re")))
      << first;

  EXPECT_EQ(pr("ps", {"-q"}).out, "");  // running only
  auto all = pr("ps", {"-a"});
  EXPECT_NE(all.out.find("Exited (3)"), std::string::npos) << all.out;
  auto json = nlohmann::json::parse(pr("ps", {"-a", "--json"}).out);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["status"], "exited");
  EXPECT_EQ(json[0]["exit_code"], 3);
  EXPECT_TRUE(leftovers(state(id)).none()) << describe(leftovers(state(id)));
}

TEST_F(LifeCommands, ADetachedLaunchFailureIsReportedAsInTheForeground) {
  auto fg = pr("run", run_args({"--rm"}, "true"));
  ASSERT_EQ(fg.status, 0) << fg.err;
  std::vector<std::string> args = {"--policy", policy_, "--apparmor=off", image_, "nosuchcmd"};
  auto a = pr("run", args);
  args.insert(args.begin(), "-d");
  auto d = pr("run", args);
  EXPECT_EQ(a.status, 127);
  EXPECT_EQ(d.status, 127);
  EXPECT_EQ(d.err, a.err);
  EXPECT_NE(d.err.find("policyrun: error: exec nosuchcmd"), std::string::npos) << d.err;
  EXPECT_EQ(d.out, "");
  // The foreground `run` (no --rm) never ran its command: no record is kept for it either.
  EXPECT_EQ(pr("ps", {"-a", "-q"}).out, "");
  EXPECT_TRUE(std::filesystem::is_empty(root_ + "/run"));
}

TEST_F(LifeCommands, NamesAreUniqueAndTheShortFormIsRunRm) {
  auto first = pr("run", run_args({"--name", "web"}, "exit 4"));
  EXPECT_EQ(first.status, 4) << first.err;
  EXPECT_EQ(state("web").status, Status::Exited);  // kept without --rm
  EXPECT_EQ(state("web").exit_code, 4);
  auto second = pr("run", run_args({"-d", "--name", "web"}, "true"));
  EXPECT_EQ(second.status, 125);
  EXPECT_NE(second.err.find("the container name 'web' is already in use by container web"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(pr("rm", {"web"}).out, "web\n");
  EXPECT_EQ(pr("run", run_args({"--rm", "--name", "web"}, "true")).status, 0);
  EXPECT_EQ(pr("ps", {"-aq"}).out, "");

  // The short form: in the store while it runs (ps sees it), gone when it exits.
  std::vector<std::string> args = {"--root", root_};
  for (const auto& a : run_args({"--name", "short"}, "sleep 30")) args.push_back(a);
  const pid_t p = spawn("", args);
  ASSERT_TRUE(wait_for("short", is_running)) << spawned_err(p);
  EXPECT_EQ(pr("ps", {"-q"}).out, "short\n");
  EXPECT_EQ(pr("kill", {"-s", "TERM", "short"}).status, 0);  // sh as pid 1 ignores TERM
  EXPECT_EQ(pr("kill", {"short"}).out, "short\n");
  EXPECT_EQ(reap(p), 137) << spawned_err(p);
  EXPECT_EQ(pr("ps", {"-aq"}).out, "");
}

TEST_F(LifeCommands, StopSendsTermThenKillsAfterTheGrace) {
  const std::string polite = detach("trap 'echo bye; exit 7' TERM; while :; do sleep 0.1; done");
  const std::string stubborn = detach("sleep 60", {"--name", "stubborn"});
  ASSERT_TRUE(wait_for(polite, is_running));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the trap is set
  auto t0 = std::chrono::steady_clock::now();
  auto r = pr("stop", {polite});
  EXPECT_EQ(r.out, polite + "\n") << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  State s = state(polite);  // recorded by the time stop returns
  EXPECT_EQ(s.status, Status::Exited);
  EXPECT_EQ(s.exit_code, 7);
  EXPECT_EQ(pr("logs", {polite}).out, "bye\n");

  // sleep as pid 1 of its namespace has no TERM handler: only the SIGKILL after -t ends it.
  t0 = std::chrono::steady_clock::now();
  r = pr("stop", {"-t", "1", "stubborn"});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_GE(took, std::chrono::milliseconds(1000));
  EXPECT_LT(took, std::chrono::seconds(5));
  s = state("stubborn");
  EXPECT_EQ(s.status, Status::Exited);
  EXPECT_EQ(s.exit_code, 137);
  EXPECT_TRUE(leftovers(s).none()) << describe(leftovers(s));
  EXPECT_EQ(pr("stop", {"stubborn"}).status, 0);  // stopping a stopped container is fine
}

TEST_F(LifeCommands, KillTakesSignalNamesAndNumbers) {
  const std::string id =
      detach("trap 'echo usr1' USR1; trap 'exit 9' HUP; while :; do sleep 0.1; done");
  ASSERT_TRUE(wait_for(id, is_running));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(pr("kill", {"-s", "SIGUSR1", id}).status, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // two pending USR1s are one
  EXPECT_EQ(pr("kill", {"-s", "usr1", id}).status, 0);
  auto bad = pr("kill", {"-s", "NOPE", id});
  EXPECT_EQ(bad.status, 125);
  EXPECT_NE(bad.err.find("unknown signal 'NOPE'"), std::string::npos) << bad.err;
  // sh runs pending traps in signal order after its `sleep`: let the USR1 traps run first.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(pr("kill", {"-s", std::to_string(SIGHUP), id}).status, 0);
  EXPECT_EQ(pr("wait", {id}).out, "9\n");
  EXPECT_EQ(pr("logs", {id}).out, "usr1\nusr1\n");
  auto gone = pr("kill", {id});
  EXPECT_EQ(gone.status, 1);
  EXPECT_NE(gone.err.find("is not running"), std::string::npos) << gone.err;
}

TEST_F(LifeCommands, RmRefusesARunningContainerUnlessForced) {
  const std::string id = detach("sleep 60", {"--name", "busy"});
  auto r = pr("rm", {"busy"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("container busy is running: stop it first (policyrun stop busy) or use -f"),
            std::string::npos)
      << r.err;
  const State s = state("busy");
  EXPECT_EQ(s.status, Status::Running);
  r = pr("rm", {"-f", "busy"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "busy\n");
  EXPECT_EQ(policy::container::starttime(s.pid), 0u) << "the container still runs";
  EXPECT_FALSE(std::filesystem::exists(root_ + "/containers/busy"));
  EXPECT_TRUE(leftovers(s).none()) << describe(leftovers(s));
  auto none = pr("rm", {"busy"});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no such container: busy"), std::string::npos) << none.err;
}

TEST_F(LifeCommands, LogsFollowsUntilTheContainerExits) {
  const std::string id = detach("for i in 1 2 3; do echo line$i; sleep 0.3; done; echo done >&2");
  auto r = pr("logs", {"-f", id});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "line1\nline2\nline3\n");
  EXPECT_EQ(r.err, "done\n");
  auto fg = pr("run", run_args({"--name", "fg"}, "echo x"));
  auto refused = pr("logs", {"fg"});
  EXPECT_EQ(refused.status, 125);
  EXPECT_NE(refused.err.find("ran in the foreground"), std::string::npos) << refused.err;
}

TEST_F(LifeCommands, RunDetachedRmRemovesTheContainerWhenItExits) {
  const std::string id = detach("sleep 0.3", {"--rm"});
  EXPECT_EQ(state(id).status, Status::Running);
  const State s = state(id);
  ASSERT_TRUE(policy::container::supervisor_alive(s));
  for (int i = 0; i < 500 && policy::container::supervisor_alive(s); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(pr("ps", {"-aq"}).out, "");
  EXPECT_TRUE(leftovers(s).none()) << describe(leftovers(s));
}

TEST_F(LifeCommands, TheSupervisorForwardsSignalsToTheContainer) {
  const std::string id = detach("trap 'echo term; exit 5' TERM; while :; do sleep 0.1; done");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the trap is set
  const State s = state(id);
  ASSERT_EQ(::kill(s.supervisor_pid, SIGTERM), 0);
  EXPECT_EQ(pr("wait", {id}).out, "5\n");
  EXPECT_EQ(pr("logs", {id}).out, "term\n");
}

TEST_F(LifeCommands, AnOomKillIsRecordedAndLogged) {
  // dd's 64 MiB buffer in a 16 MiB memory cgroup.
  const std::string pol = root_ + "-oom.pol";
  std::ofstream(pol) << "policy oom {\n  syscalls default allow { }\n"
                        "  namespaces { mount, pid, ipc, uts, net, cgroup }\n"
                        "  resources { memory 16M, pids 64 }\n  rootfs { readonly }\n}\n";
  auto r = pr("run", {"-d", "--name", "oom", "--policy", pol, "--apparmor=off", image_, "dd",
                      "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  std::filesystem::remove(pol);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(pr("wait", {"oom"}).out, "137\n");
  const State s = state("oom");
  EXPECT_EQ(s.exit_note, "OOM killed");
  EXPECT_NE(pr("ps", {"-a"}).out.find("Exited (137)"), std::string::npos);
  EXPECT_NE(pr("logs", {"oom"}).err.find("killed by the kernel's OOM killer"), std::string::npos);
}

TEST_F(LifeCommands, OfConcurrentRunsWithOneNameExactlyOneGetsIt) {
  std::vector<pid_t> runs;
  for (int i = 0; i < 4; ++i)
    runs.push_back(spawn("run", run_args({"-d", "--name", "one"}, "sleep 5")));
  int won = 0, refused = 0;
  for (pid_t p : runs) {
    const int status = reap(p);
    won += status == 0;
    refused += status == 125;
  }
  EXPECT_EQ(won, 1);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(pr("ps", {"-q"}).out, "one\n");
}

}  // namespace
}  // namespace life_test
