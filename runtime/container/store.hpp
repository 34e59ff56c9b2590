// The containers policyrun knows: one directory per container under <root>/containers/<id>/, as
// Docker keeps /var/lib/docker/containers/<id>/. It holds state.json (below), the compiled policy
// the container runs under (policy.bin: what `exec` applies again), and the log of a detached
// container (log.json, log.json.1). A container is *live* while its supervisor (the policyrun
// that called launch(): the foreground policyrun, or the detached supervisor of `run -d`) holds
// the run record <root>/run/<id>.lock (runtime/launch/reaper.hpp); a container whose record is
// unlocked but whose state says running lost its supervisor: the next command marks it exited
// (exit code 137, "supervisor died") and the reaper removes its cgroups and mounts.
//
// Concurrency: every change of the set of containers (create: a name is unique; remove) holds an
// exclusive flock on <root>/containers/.lock; state.json is replaced atomically (temp + rename),
// so a reader never sees half a file. docs/containers.md.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/common/unique_fd.hpp"

namespace policy::container {

enum class Status { Created, Running, Exited };
const char* status_name(Status s);  // "created", "running", "exited" (Docker's words)

// A published port (-p HOSTPORT:CONTAINERPORT[/tcp|udp]).
struct Port {
  uint16_t host = 0, container = 0;
  std::string proto = "tcp";
  std::string host_ip;  // empty: every address of the host
};

struct State {
  std::string id;     // [a-z0-9_-]: --name when given, else 12 random hex digits; the run id
  std::string name;   // what users type: --name, else the id
  std::string image;  // as given on the command line
  std::vector<std::string> command;  // argv of the container's first process
  // The process as launch() got it (LaunchRequest's user, cwd and env): what `exec` starts from.
  std::string user, cwd;
  std::vector<std::string> env;
  std::string policy_file, policy_name;
  std::string policy_sha256;  // of policy.bin: what `inspect` shows and `exec` checks
  Status status = Status::Created;
  bool detached = false, auto_remove = false;  // -d, --rm
  pid_t pid = 0;                      // host pid of the container's first process (0: not started)
  uint64_t pid_starttime = 0;         // /proc/PID/stat field 22: tells a reused pid from ours
  pid_t supervisor_pid = 0;           // the policyrun that called launch() (foreground or -d)
  uint64_t supervisor_starttime = 0;  // its starttime: a supervisor that is gone is told apart
  int exit_code = -1;                 // -1 until it exited; 128+N for signal N
  std::string exit_note;              // "supervisor died", "OOM killed", ... (empty: a plain exit)
  int64_t created_ns = 0, started_ns = 0, finished_ns = 0;  // CLOCK_REALTIME, nanoseconds
  std::vector<std::string> cgroup_dirs;  // the run's cgroup directories (host paths)
  std::string network;  // none | host | container:NAME | private (pasta) | "" (policy's own)
  std::vector<Port> ports;
  pid_t network_helper_pid = 0;               // pasta, when the run has a private network
  std::map<std::string, std::string> labels;  // free-form, for the commands (e.g. hostname)
};

std::string to_json(const State& s);                      // pretty JSON (2 spaces)
std::optional<State> from_json(const std::string& text);  // nullopt: not a state file

class Store {
 public:
  explicit Store(std::string root);  // <root> is policyrun's --root
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const;  // <root>/containers/<id>

  // Creates the container's directory and state.json (status created) under the store's lock.
  // Throws policy::Error when the name is taken by another container (live or not: `rm` it
  // first, as Docker says) or the id is malformed.
  void create(State& s);
  void save(const State& s);  // replaces state.json atomically
  // Every container, ordered by creation time; reconciles each one whose supervisor died (its
  // record is unlocked and its supervisor process is gone: exited, 137 unless recorded,
  // "supervisor died"; removed when it was --rm), then lets the reaper remove the cgroups, mounts
  // and run state of every dead run under <root>/run. Every command calls it (directly or
  // through find()), so the next command cleans up after a SIGKILLed policyrun.
  std::vector<State> list();
  // By exact name, exact id, or a unique prefix of an id (Docker's rules). Throws policy::Error
  // naming what was looked for ("no such container: X", "X is ambiguous: a, b").
  State find(const std::string& name_or_id);
  // Removes the directory (the caller has checked the container is not running).
  void remove(const std::string& id);
  // Whether the container's supervisor is alive (holds <root>/run/<id>.lock).
  bool supervised(const std::string& id) const;
  // The compiled policy the container runs under (policy.bin: IR + filter).
  void save_policy(const std::string& id, const ir::Policy& p,
                   const std::vector<sock_filter>& filter);
  // The sha256 (64 hex digits) of policy.bin as it is now, for State::policy_sha256. Apart from
  // save_policy: hashing loads libcrypto, which a foreground launch does without.
  std::string policy_sha256(const std::string& id) const;
  struct StoredPolicy {
    ir::Policy policy;
    std::vector<sock_filter> filter;
  };
  StoredPolicy load_policy(const std::string& id) const;

 private:
  std::string root_;
};

// CLOCK_REALTIME in nanoseconds: the clock of State's times.
int64_t realtime_ns();
// The host pid's /proc/PID/stat starttime (0 when the process does not exist or has exited: a
// zombie nobody reaped yet is not alive).
uint64_t starttime(pid_t pid);
// Whether the policyrun that supervises `s` (State::supervisor_pid) is still that process.
bool supervisor_alive(const State& s);
// A pidfd of the container's first process, checked to be that process (pid + starttime); an
// invalid fd when it has exited.
runtime::UniqueFd open_init(const State& s);

}  // namespace policy::container
