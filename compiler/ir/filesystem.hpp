// Filesystem access rules (AppArmor and Landlock backends) and mount/ptrace/signal rules (AppArmor).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::ir {

// Access bits; AppArmor letters in brackets.
enum FileAccess : uint32_t {
  kRead = 1u << 0,     // r
  kWrite = 1u << 1,    // w (includes create, delete, truncate)
  kAppend = 1u << 2,   // a
  kExec = 1u << 3,     // x (ix in AppArmor unless the rule says otherwise)
  kMap = 1u << 4,      // m (mmap PROT_EXEC)
  kLink = 1u << 5,     // l
  kLock = 1u << 6,     // k
};

struct PathRule {
  bool deny = false;
  uint32_t access = 0;   // FileAccess bits
  std::string pattern;   // AppArmor-style glob: /etc/nginx/**, /proc/sys/[^k]**, @{PROC}/...
  std::string exec_mode; // for kExec: "ix" (default), "ux", "px", "cx"... as written
  SourceLoc loc;
};

// Rules of the other AppArmor kinds, kept structured so backends can reason about them.
struct MountRule { bool deny = false; std::string kind = "mount"; /* mount|umount|remount|pivot_root */ std::string text; SourceLoc loc; };
struct SignalRule { bool deny = false; std::vector<std::string> perms; /* send, receive */ std::string peer; SourceLoc loc; };
struct PtraceRule { bool deny = false; std::vector<std::string> perms; /* trace, tracedby, read, readby */ std::string peer; SourceLoc loc; };

struct FilesystemPolicy {
  bool allow_all_files = false;  // `file,` in AppArmor (docker-default); otherwise only the rules
  SourceLoc allow_all_loc;       // where `allow all` was written (for the profile's comments)
  std::vector<PathRule> rules;   // in policy order
  std::vector<MountRule> mount_rules;
  std::vector<SignalRule> signal_rules;
  std::vector<PtraceRule> ptrace_rules;
  bool specified = false;        // the policy has a filesystem section (else: unconfined files)
};

}  // namespace policy::ir
