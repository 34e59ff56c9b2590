// The exec tests' containers: a busybox container (tests/launch/launch_fixture.hpp's image) under
// a policy compiled from .pol text as `policyrun run` compiles it (explain mode on: the filter's
// errno actions notify), started by launch() in a forked child of the test whose observer
// records it in a private store (--root), as `policyrun run` does. `policyrun exec` (the real
// binary) then finds it there.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "launch/launch_fixture.hpp"

namespace exec_test {

struct ContainerOptions {
  std::string user;  // LaunchRequest::user ("": the image's, root)
  std::string cwd = "/";
  std::vector<std::string> env = {"PATH=/bin", "FROM_RUN=1"};
  bool explain = true;  // compile the explain variant (errno actions notify), as run does
};

class Container {
 public:
  // Starts `argv` (default: sleep) in a busybox container named `name` under `policy_text`, and
  // waits until its store record says running. Throws std::runtime_error when it does not start.
  Container(const std::string& name, const std::string& policy_text,
            const std::vector<std::string>& argv = {"/bin/sleep", "600"},
            const ContainerOptions& o = {});
  ~Container();  // kills it (SIGKILL to its supervisor), waits, removes the private root
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  const std::string& root() const { return root_; }
  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }  // host pid of its first process
  // `policyrun exec --root ROOT ARGS...` (launch_test::run_policyrun: stdin /dev/null).
  launch_test::CliResult exec(const std::vector<std::string>& args) const;
  // The supervisor's stderr (the container's too) so far.
  std::string log() const;

 private:
  std::string name_, root_, log_;
  pid_t supervisor_ = -1, pid_ = 0;
};

// A host file's content, or "" (for /proc/PID/... files).
std::string read_file(const std::string& path);
// readlink, or "".
std::string link_of(const std::string& path);

}  // namespace exec_test
