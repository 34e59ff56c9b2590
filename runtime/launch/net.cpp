#include "runtime/launch/net.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "compiler/common/error.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::net {

void bring_up_loopback() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) throw sys_error("network: socket(AF_INET) to configure the loopback device");
  struct ifreq ifr {};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) != 0)
    throw sys_error("network: SIOCGIFFLAGS of the new network namespace's loopback", "lo");
  if (ifr.ifr_flags & IFF_UP) return;
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) != 0)
    throw sys_error("network: bringing up the new network namespace's loopback (SIOCSIFFLAGS)",
                    "lo");
}

}  // namespace policy::launch::net
