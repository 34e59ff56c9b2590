// Learn mode's recorder: the seccomp filter that sends every system call to the supervisor, and
// the handler (runtime/launch/notify.hpp) that records each call into Observations and lets it
// run (docs/learn.md, "How a run is recorded").
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/launch/notify.hpp"
#include "runtime/learn/observations.hpp"

namespace policy::learn {

// One instruction: SECCOMP_RET_USER_NOTIF for every call of every architecture.
std::vector<sock_filter> notify_everything_filter();

// What one call means for the model: the file it uses and how, a socket made, a port.
// Pure (tests/learn): `fd_path` is the path of an fd argument (mmap), `socket_protocol` the
// "tcp"/"udp" of a bind/connect socket; both looked up by the caller.
struct CallMeaning {
  std::vector<std::pair<std::string, uint32_t>> files;  // path, FileUse bits
  int socket_family = -1, socket_type = -1;             // socket(), socketpair()
  std::string port_kind;                                // "bind" or "connect"
  std::string port_protocol;                            // "tcp" or "udp"
  int port = -1;
};
CallMeaning meaning_of(const launch::notify::Call& call, const std::string& fd_path,
                       const std::string& socket_protocol);

class Recorder : public launch::notify::Handler {
 public:
  // `base`: the base policy, for the arguments its conditions check and for the calls it answers
  // ENOSYS (the C library's cue to fall back, e.g. clone3 -> clone), which learn mode answers so
  // too.
  explicit Recorder(const ir::Policy& base);
  launch::notify::Reply on_call(const launch::notify::Call& call) override;
  const Observations& observations() const { return seen_; }

 private:
  const ir::Policy& base_;
  ir::KernelVersion kernel_;  // what the base's `when kernel >=` gates are decided against
  Observations seen_;
  bool started_ = false;                     // the program's first execve was seen
  std::map<pid_t, std::string> commands_;    // /proc/PID/comm, until the process execs
  std::map<std::string, int> checked_args_;  // syscall -> the argument whose values are kept
  const std::string& command(pid_t pid);
};

}  // namespace policy::learn
