// A real container for the stats, update, top and inspect tests: `sh -c SCRIPT` in the busybox
// image (tests/launch/launch_fixture.hpp) under a policy, launched by a forked child of the test
// that plays the detached supervisor of `run -d` (it holds the run's record and saves the
// container's state), recorded in a store under a --root of its own, so that the real policyrun
// commands find it by name.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/container/store.hpp"

namespace stats_test {

class RunningContainer {
 public:
  // Returns once the script has started (its execve succeeded); throws std::runtime_error when
  // the launch failed.
  RunningContainer(const policy::ir::Policy& policy, const std::string& script,
                   const std::string& name, std::vector<sock_filter> filter = {});
  ~RunningContainer();  // kills the container, waits for its supervisor, removes the --root
  RunningContainer(const RunningContainer&) = delete;
  RunningContainer& operator=(const RunningContainer&) = delete;

  const std::string& root() const { return root_; }
  const std::string& name() const { return name_; }
  const policy::container::State& state() const { return state_; }  // as saved at the start
  // A path inside the container, as the host reaches it (/proc/PID/root/...).
  std::string inside(const std::string& path) const;
  // The content of a file inside the container once it is not empty; "" after `timeout_ms`.
  std::string wait_for_file(const std::string& path, int timeout_ms = 10000) const;
  // The cgroup directory of the run that holds `file` ("" when none does).
  std::string cgroup_file(const std::string& file) const;

 private:
  std::string root_, name_;
  policy::container::State state_;
  pid_t supervisor_ = -1;
};

// Docker's defaults (launch_fixture's docker_like_policy) without the net and cgroup namespaces:
// /sys is then the host's, read-only, and /proc/self/cgroup shows host paths, so a script sees
// its own limit files as the host does.
policy::ir::Policy host_sys_policy();

// `policyrun ARGS... --root ROOT` (the runner of launch_fixture.hpp).
struct Cli {
  int status = -1;
  std::string out, err;
};
Cli policyrun(const RunningContainer& c, std::vector<std::string> args);

}  // namespace stats_test
