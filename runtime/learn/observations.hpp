// Learn mode's model of a run (docs/learn.md): which system calls a program made (per
// architecture, with the argument values of the calls whose rules check arguments), which files it
// opened and how, which sockets it made and which ports it bound or connected to. Filled call by
// call from seccomp user notifications (recorder.hpp), kept as JSON at the end of the learned
// policy so that the next learn run merges into it, and turned into policy text by writer.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>

namespace policy::learn {

// How a file was used (a set of these bits).
enum FileUse : uint32_t {
  kRead = 1u << 0,
  kWrite = 1u << 1,
  kCreate = 1u << 2,  // made it (O_CREAT, mkdir, mknod, symlink, link, rename target)
  kExec = 1u << 3,
  kMap = 1u << 4,  // mmap(PROT_EXEC) of the open file
};

// Where something was first seen.
struct First {
  int pid = 0;          // host pid
  std::string command;  // its /proc/PID/comm
};

// At most this many distinct argument values are kept per syscall; beyond it the learned rule
// allows every value (a rule listing hundreds of ioctl requests is not reviewable).
inline constexpr size_t kMaxArgValues = 64;

struct SyscallSeen {
  uint64_t count = 0;
  First first;
  int arg = -1;                  // the argument index whose values are kept, -1: none
  std::set<uint64_t> values;     // the values of that argument
  bool too_many_values = false;  // more than kMaxArgValues distinct values were seen
};

struct FileSeen {
  uint32_t use = 0;  // FileUse bits
  uint64_t count = 0;
  First first;
};

struct SocketSeen {
  uint64_t count = 0;
  First first;
};

struct PortSeen {
  uint64_t count = 0;
  First first;
};

struct Observations {
  // libseccomp arch name -> syscall name -> what was seen, from the program's first execve on.
  std::map<std::string, std::map<std::string, SyscallSeen>> syscalls;
  // The runtime's own calls between installing the filter and the program's execve (per arch):
  // not learned, but never refused by the learned policy either (docs/learn.md).
  std::map<std::string, std::set<std::string>> runtime_syscalls;
  // Calls the base policy answers with ENOSYS ("not implemented, use the fallback"): learn mode
  // answers them so too, and the learned policy leaves them to the base.
  std::map<std::string, uint64_t> enosys;
  std::map<std::string, FileSeen> files;              // absolute path as the container sees it
  std::map<std::pair<int, int>, SocketSeen> sockets;  // (AF_*, SOCK_* without flags)
  // (bind|connect, tcp|udp, port)
  std::map<std::tuple<std::string, std::string, int>, PortSeen> ports;
  uint64_t runs = 0;  // learn runs merged into this
};

// Adds one more call of `syscall` on `arch`; `arg`/`value` (when arg >= 0) is the checked argument.
void add_syscall(Observations& o, const std::string& arch, const std::string& syscall,
                 const First& first, int arg = -1, uint64_t value = 0);
void add_file(Observations& o, const std::string& path, uint32_t use, const First& first);
void add_socket(Observations& o, int family, int type, const First& first);
void add_port(Observations& o, const std::string& kind, const std::string& protocol, int port,
              const First& first);

// Everything of `from` added to `into` (counts summed, first sightings of `into` kept).
void merge(Observations& into, const Observations& from);

nlohmann::json to_json(const Observations& o);
// Throws policy::Error naming `where` when the JSON is not a learn record.
Observations from_json(const nlohmann::json& j, const std::string& where);

}  // namespace policy::learn
