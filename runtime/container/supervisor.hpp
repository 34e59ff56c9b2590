// Who keeps a container: the policyrun that calls launch() for it records its life in the store
// (Recorder). In the foreground that is `policyrun run` itself; with `run -d` it is a supervisor
// forked for the container (like conmon or containerd-shim): in a session of its own, it holds the
// container's output pipes and writes them to the log, records the exit, removes the container
// when it was --rm, and outlives the `run -d` that started it. docs/containers.md.
#pragma once

#include <functional>
#include <string>

#include "runtime/container/store.hpp"
#include "runtime/launch/launch.hpp"

namespace policy::container {

// The store's record of one launch: running with its pid, starttime and cgroups once the command
// has started; then exited with its status, or removed (--rm).
class Recorder : public launch::RunObserver {
 public:
  Recorder(Store& store, State& state) : store_(store), state_(state) {}
  void started(const Started& run) override;
  // launch() returned `status`; `note` says why when the runtime knows ("OOM killed").
  void exited(int status, const std::string& note = {});
  // launch() threw: the command never ran (or its supervision failed): the container's record
  // goes, as everything else the launch made.
  void failed();
  std::function<void()> on_started;  // after the running state is saved

 private:
  Store& store_;
  State& state_;
};

// `policyrun run` in the foreground: launch() with a Recorder; returns the command's status.
int run_foreground(launch::LaunchRequest& req, Store& store, State& state);

// `policyrun run -d`: forks the supervisor, which launches `req` and supervises it; returns when
// the command has started (the id printed on stdout: exit status 0) or the launch failed (its
// "policyrun: error: ..." on stderr; the launch's exit status, 125/126/127).
int run_detached(launch::LaunchRequest& req, Store& store, State& state);

}  // namespace policy::container
