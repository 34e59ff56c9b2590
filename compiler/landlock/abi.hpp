// Landlock's user-space ABI: <linux/landlock.h>, plus the definitions of ABI versions newer than
// the installed header (Debian 12's linux-libc-dev 6.1 stops at ABI 2). The fallbacks below are the
// kernel's stable UAPI values (include/uapi/linux/landlock.h) and are used only when the header
// lacks them; the kernel tells at run time which version it speaks.
#pragma once

#include <linux/landlock.h>

#include <cstddef>
#include <cstdint>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

namespace policy::landlock {

// The newest ABI this code knows; a newer kernel is used at this level.
inline constexpr int kLatestKnownAbi = 7;

// Rule type of struct NetPortAttr (LANDLOCK_RULE_NET_PORT, ABI 4).
inline constexpr int kRuleNetPort = 2;

// struct landlock_ruleset_attr as of ABI 6; the size passed to the kernel says which fields exist.
struct RulesetAttr {
  uint64_t handled_access_fs = 0;
  uint64_t handled_access_net = 0;  // ABI 4
  uint64_t scoped = 0;              // ABI 6
};

// struct landlock_net_port_attr (ABI 4).
struct NetPortAttr {
  uint64_t allowed_access = 0;
  uint64_t port = 0;
};

// Size of the ruleset attribute the given ABI understands.
inline unsigned long ruleset_attr_size(int abi) {
  if (abi >= 6) return sizeof(RulesetAttr);
  if (abi >= 4) return offsetof(RulesetAttr, scoped);
  return offsetof(RulesetAttr, handled_access_net);
}

// Filesystem rights the given ABI handles.
inline uint64_t fs_rights(int abi) {
  if (abi < 1) return 0;
  uint64_t r = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: EXECUTE .. MAKE_SYM
  if (abi >= 2) r |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) r |= LANDLOCK_ACCESS_FS_TRUNCATE;
  if (abi >= 5) r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
  return r;
}

// The rights that apply to a file itself (the rest only make sense on a directory).
inline uint64_t file_rights() {
  return LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
         LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV;
}

inline uint64_t net_rights(int abi) {
  return abi >= 4 ? (LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP) : 0;
}

inline uint64_t scopes(int abi) {
  return abi >= 6 ? (LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL) : 0;
}

}  // namespace policy::landlock
