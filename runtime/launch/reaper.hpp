// Runs that outlive their supervisor: each run has a record <state_root>/run/<id>.lock, flocked
// (LOCK_EX) by the policyrun that supervises it for the run's whole life and listing the cgroup
// directories it created. When that policyrun dies (SIGKILL, a crash), the kernel drops the lock;
// the next launch with the same state root finds the record unlocked and removes what the run
// left: its cgroups (killing what is still in them), its state directory, then the record.
// A record that is locked belongs to a live run and is never touched.
#pragma once

#include <string>
#include <vector>

#include "runtime/launch/cgroup.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::reaper {

// The live run's record, created locked; removed (unlinked, then unlocked) when destroyed.
class RunRecord {
 public:
  // Creates <state_root>/run/<id>.lock (and the directories above it). Throws policy::Error when
  // a live run already uses `run_id`.
  RunRecord(const std::string& state_root, const std::string& run_id);
  RunRecord(const RunRecord&) = delete;
  RunRecord& operator=(const RunRecord&) = delete;
  ~RunRecord();

  // Appends the run's cgroup directories, so that a later collect() removes exactly those.
  void note_cgroups(const std::vector<std::string>& dirs);
  int fd() const { return fd_.get(); }

 private:
  std::string path_;
  UniqueFd fd_;
};

// Removes every dead run under <state_root>/run (records nobody holds). Cheap when there is none:
// one open and one readdir of <state_root>/run. Never throws, never waits for a live run.
// Returns the ids it removed.
std::vector<std::string> collect(const std::string& state_root) noexcept;

}  // namespace policy::launch::reaper
