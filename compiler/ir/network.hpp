// Network rules: socket families/types (AppArmor, seccomp socket()), TCP ports (Landlock ABI 4+).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::ir {

struct SocketRule {
  bool deny = false;
  std::string family;  // "inet", "inet6", "unix", "netlink", "alg", ... ; "" = every family
  std::string type;    // "stream", "dgram", "raw", ... ; "" = every type
  SourceLoc loc;
};

struct PortRule {
  bool deny = false;
  enum Kind { Bind, Connect } kind = Bind;
  std::string protocol = "tcp";
  uint16_t first = 0, last = 0;  // inclusive range
  SourceLoc loc;
};

struct NetworkPolicy {
  bool specified = false;  // no network section: unrestricted by the LSMs
  std::vector<SocketRule> sockets;
  std::vector<PortRule> ports;
  bool scope_abstract_unix = false;  // Landlock ABI 6 scoping
  bool scope_signals = false;        // Landlock ABI 6 scoping
};

}  // namespace policy::ir
