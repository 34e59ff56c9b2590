// The lifecycle tests' fixture: a private --root per test, a busybox image and a small policy, the
// real policyrun binary (POLICYRUN) run in the foreground or in the background, and what a run can
// leave behind (mounts, cgroup directories, run state) counted for one container.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "launch/launch_fixture.hpp"
#include "runtime/container/store.hpp"

namespace life_test {

// What a container's run can leave: host mount lines naming the root, the cgroup directories
// its state lists that still exist, entries under <root>/run naming it.
struct Leftovers {
  std::vector<std::string> mounts, cgroups, run_entries;
  bool none() const { return mounts.empty() && cgroups.empty() && run_entries.empty(); }
};

class LifeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;  // kills and removes every container of the test's root

  // policyrun COMMAND --root ROOT ARGS... (for run: --policy and --apparmor=off too; then ARGS).
  launch_test::CliResult pr(const std::string& command, std::vector<std::string> args);
  // `policyrun run ... IMAGE sh -c SCRIPT` arguments, with `options` before the image.
  std::vector<std::string> run_args(std::vector<std::string> options, const std::string& script);
  // Starts policyrun with the same arguments as pr() in the background (stdio to files).
  pid_t spawn(const std::string& command, std::vector<std::string> args);
  std::string spawned_out(pid_t pid) const;
  std::string spawned_err(pid_t pid) const;
  // Waits for a spawned policyrun; its exit status (-1 when killed by a signal).
  int reap(pid_t pid);

  policy::container::State state(const std::string& name);
  // Waits (up to 10 s) until `pred` holds for the container's state.json as stored.
  bool wait_for(const std::string& id, bool (*pred)(const policy::container::State&));

  Leftovers leftovers(const policy::container::State& s) const;

  std::string root_, policy_, image_;
  std::vector<pid_t> spawned_;
};

std::string describe(const Leftovers& l);
inline bool is_running(const policy::container::State& s) {
  return s.status == policy::container::Status::Running;
}
// The process's state letter in /proc/PID/stat ('R', 'S', 'T', 'Z'; 0 when gone).
char proc_state(pid_t pid);

}  // namespace life_test
