// Nothing leaks: when the policyrun that supervises a container is SIGKILLed (the detached
// supervisor before the command started or while it runs, the foreground policyrun), the
// container dies with it and the next policyrun command marks it exited and removes its mounts,
// cgroups and run state. Each test counts them before and after, for its own container only.
// Names differ from every other test's: a run's cgroup is policyrun/<name> on the whole host, so
// two tests running at once under different --root with one name collide (known,
// docs/cli-policyrun.md).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "container/life_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace life_test {
namespace {

using policy::container::State;
using policy::container::Status;

bool gone(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    const char st = proc_state(pid);
    if (st == 0 || st == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class LifeLifetime : public LifeTest {
 protected:
  void SetUp() override {
    LifeTest::SetUp();
    SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  }
  // After the kill: the next command (ps) records the death and the reaper cleans up.
  void expect_reconciled(const std::string& name, const State& before) {
    auto ps = pr("ps", {"-a"});
    EXPECT_EQ(ps.status, 0) << ps.err;
    EXPECT_NE(ps.out.find("Exited (137)"), std::string::npos) << ps.out;
    EXPECT_NE(ps.out.find("supervisor died"), std::string::npos) << ps.out;
    const State after = state(name);
    EXPECT_EQ(after.status, Status::Exited);
    EXPECT_EQ(after.exit_code, 137);
    EXPECT_EQ(after.exit_note, "supervisor died");
    EXPECT_TRUE(leftovers(before).none()) << describe(leftovers(before));
  }
};

TEST_F(LifeLifetime, ASupervisorKilledWhileRunningTakesItsContainerAlong) {
  auto r = pr("run", run_args({"-d", "--name", "victim"}, "sleep 60"));
  ASSERT_EQ(r.status, 0) << r.err;
  const State s = state("victim");
  ASSERT_EQ(s.status, Status::Running);
  ASSERT_FALSE(leftovers(s).cgroups.empty()) << "the run made no cgroup: nothing to check";
  ASSERT_EQ(::kill(s.supervisor_pid, SIGKILL), 0);
  EXPECT_TRUE(gone(s.pid)) << "the container outlived its supervisor";
  const Leftovers left = leftovers(s);
  EXPECT_FALSE(left.none()) << "cleaned up before any command ran?";
  expect_reconciled("victim", s);
}

TEST_F(LifeLifetime, TheNextRunReconcilesToo) {
  const auto started = pr("run", run_args({"-d", "--name", "victim-next"}, "sleep 60"));
  ASSERT_EQ(started.status, 0) << started.err;
  const State s = state("victim-next");
  ASSERT_EQ(::kill(s.supervisor_pid, SIGKILL), 0);
  EXPECT_TRUE(gone(s.pid));
  ASSERT_FALSE(leftovers(s).none());
  auto r = pr("run", run_args({"--rm"}, "true"));
  EXPECT_EQ(r.status, 0) << r.err;
  // As stored (Store::find would reconcile by itself).
  auto after = policy::container::from_json(
      launch_test::slurp(root_ + "/containers/victim-next/state.json"));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->exit_note, "supervisor died");
  EXPECT_TRUE(leftovers(s).none()) << describe(leftovers(s));
}

TEST_F(LifeLifetime, ASupervisorKilledBeforeTheCommandStartedLeavesNothing) {
  // The supervisor stops itself once the container's process exists in its cgroups.
  ::setenv("POLICYRUN_TEST_SUPERVISOR_STOP", "created", 1);
  const pid_t run = spawn("run", run_args({"-d", "--name", "early"}, "sleep 60"));
  ::unsetenv("POLICYRUN_TEST_SUPERVISOR_STOP");
  pid_t supervisor = 0;
  for (int i = 0; i < 1000 && !supervisor; ++i) {
    auto text = launch_test::slurp(root_ + "/containers/early/state.json");
    auto s = policy::container::from_json(text);
    if (s && s->supervisor_pid != run && s->supervisor_pid > 0 &&
        proc_state(s->supervisor_pid) == 'T')
      supervisor = s->supervisor_pid;
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(supervisor, 0) << spawned_err(run);
  State s = policy::container::Store(root_).find("early");  // (no reconciliation: it lives)
  EXPECT_EQ(s.status, Status::Created);
  const Leftovers before = leftovers(s);
  EXPECT_FALSE(before.cgroups.empty()) << "no cgroup yet: the stage is not the one meant";
  EXPECT_FALSE(before.run_entries.empty());
  ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
  EXPECT_EQ(reap(run), 125);
  EXPECT_NE(
      spawned_err(run).find("policyrun: error: the container's supervisor (pid " +
                            std::to_string(supervisor) + ") died before the container started"),
      std::string::npos)
      << spawned_err(run);
  EXPECT_EQ(spawned_out(run), "");
  // `run -d` itself ran the reconciliation: the record and the run are gone.
  EXPECT_EQ(pr("ps", {"-aq"}).out, "");
  s.cgroup_dirs = before.cgroups;
  EXPECT_TRUE(leftovers(s).none()) << describe(leftovers(s));
}

TEST_F(LifeLifetime, AForegroundPolicyrunKilledTakesItsContainerAlong) {
  const pid_t run = spawn("run", run_args({"--name", "fg-killed"}, "sleep 60"));
  ASSERT_TRUE(wait_for("fg-killed", is_running)) << spawned_err(run);
  const State s = state("fg-killed");
  EXPECT_EQ(s.supervisor_pid, run);
  EXPECT_FALSE(s.detached);
  ASSERT_FALSE(leftovers(s).none());
  ASSERT_EQ(::kill(run, SIGKILL), 0);
  EXPECT_EQ(reap(run), -1);
  EXPECT_TRUE(gone(s.pid)) << "the container outlived policyrun";
  expect_reconciled("fg-killed", s);
}

TEST_F(LifeLifetime, AKilledShortFormRunLeavesNoRecord) {
  std::vector<std::string> args = {"--root", root_};
  for (const auto& a : run_args({"--name", "short-killed"}, "sleep 60")) args.push_back(a);
  const pid_t run = spawn("", args);
  ASSERT_TRUE(wait_for("short-killed", is_running)) << spawned_err(run);
  const State s = state("short-killed");
  ASSERT_EQ(::kill(run, SIGKILL), 0);
  reap(run);
  EXPECT_TRUE(gone(s.pid));
  EXPECT_EQ(pr("ps", {"-aq"}).out, "");  // it was --rm: the reconciliation removes it
  EXPECT_TRUE(leftovers(s).none()) << describe(leftovers(s));
}

}  // namespace
}  // namespace life_test
