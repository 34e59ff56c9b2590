// `-t`: a pseudo-terminal from the container's own devpts instance. The child opens /dev/ptmx
// after pivot_root, makes the slave its controlling terminal and stdio, and passes the master to
// the parent over a socket (SCM_RIGHTS); the parent relays it to its own terminal.
#pragma once

#include <termios.h>

#include <string>

#include "runtime/launch/fds.hpp"

namespace policy::launch::tty {

// Child, without -t: a session of its own (setsid), so the host's terminal is never the
// container's controlling terminal. TIOCSTI (CVE-2017-5226) and TIOCSCTTY on an inherited host
// tty fd then fail with EPERM for a process without CAP_SYS_ADMIN.
void new_session();
// Child, with -t (after pivot_root, before dropping privileges): a new session whose controlling
// terminal is the container's own pty.
void setup_child(int sock);
// Parent: the master, or an invalid fd when the child failed before sending it.
UniqueFd receive_master(int sock);
// Sends `master` over the connected socket `sock` (SCM_RIGHTS, one byte of data).
void send_master(int sock, int master);
// The OCI runtime's --console-socket: connects to the Unix socket at `path` and sends it the
// master, where the engine (containerd's shim) receives it as runc's console does.
void send_to_console_socket(const std::string& path, int master);

// Parent: the host terminal in raw mode for the life of this object (no-op when not a tty).
class RawMode {
 public:
  explicit RawMode(int fd);
  ~RawMode();
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  int fd_;
  bool active_ = false;
  struct termios saved_ {};
};

// Copies the window size of `from` (the host terminal) to the pty master.
void copy_window_size(int from, int master);

}  // namespace policy::launch::tty
