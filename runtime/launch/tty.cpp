#include "runtime/launch/tty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "compiler/common/error.hpp"

namespace policy::launch::tty {
namespace {

// One byte and room for one fd (SCM_RIGHTS): the pty master passed from the child to the parent.
struct FdMessage {
  char byte = 't';
  struct iovec iov {
    &byte, 1
  };
  alignas(struct cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  FdMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = buf;
    msg.msg_controllen = sizeof buf;
  }
  FdMessage(const FdMessage&) = delete;
  FdMessage& operator=(const FdMessage&) = delete;
};

}  // namespace

void new_session() {
  if (::setsid() < 0) throw sys_error("tty: setsid (leaving the host's terminal session)");
}

void setup_child(int sock) {
  UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master.valid()) throw sys_error("tty: open the container's /dev/ptmx");
  if (::unlockpt(master.get()) != 0) throw sys_error("tty: unlockpt");
  // TIOCGPTPEER opens the slave through the master, never through a path the image controls.
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
  if (!slave.valid()) throw sys_error("tty: open the pty slave (TIOCGPTPEER)");
  if (::setsid() < 0) throw sys_error("tty: setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) throw sys_error("tty: TIOCSCTTY");
  for (int i = 0; i < 3; ++i)
    if (::dup2(slave.get(), i) < 0) throw sys_error("tty: dup2 slave onto stdio");
  send_master(sock, master.get());
}

void send_master(int sock, int master) {
  FdMessage m;
  struct cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &master, sizeof master);
  if (::sendmsg(sock, &m.msg, MSG_NOSIGNAL) != 1) throw sys_error("tty: send the pty master");
}

void send_to_console_socket(const std::string& path, int master) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    throw Error("--console-socket '" + path + "': not a usable Unix socket path (empty or longer "
                "than " + std::to_string(sizeof addr.sun_path - 1) + " bytes)");
  std::memcpy(addr.sun_path, path.data(), path.size());
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) throw sys_error("tty: socket for --console-socket");
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    throw sys_error("tty: connect to the console socket", path);
  send_master(sock.get(), master);
}

UniqueFd receive_master(int sock) {
  FdMessage m;
  ssize_t n = ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
  if (n <= 0) return UniqueFd();
  struct cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
  if (!c || c->cmsg_type != SCM_RIGHTS) return UniqueFd();
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return UniqueFd(fd);
}

RawMode::RawMode(int fd) : fd_(fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
  struct termios raw = saved_;
  ::cfmakeraw(&raw);
  active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
}

RawMode::~RawMode() {
  if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
}

void copy_window_size(int from, int master) {
  struct winsize ws;
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

}  // namespace policy::launch::tty
