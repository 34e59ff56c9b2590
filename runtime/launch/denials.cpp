#include "runtime/launch/denials.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"
#include "compiler/ir/describe.hpp"
#include "compiler/landlock/abi.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "runtime/launch/exit_report.hpp"

namespace policy::launch::denials {
namespace {

// ---- arguments, readable: names from the project's constants table, reversed ----

// Other names of a value that has a better-known one (AF_UNIX, AF_NETLINK, O_NONBLOCK, O_SYNC).
bool is_alias(const std::string& name) {
  return name == "AF_FILE" || name == "AF_LOCAL" || name == "AF_ROUTE" || name == "O_NDELAY" ||
         name == "O_FSYNC" || name == "O_RSYNC" || name == "O_ACCMODE";
}

// The constants whose names start with `prefix`, aliases left out.
const std::vector<std::pair<std::string, uint64_t>>& constants(const std::string& prefix) {
  static std::map<std::string, std::vector<std::pair<std::string, uint64_t>>> cache;
  auto it = cache.find(prefix);
  if (it != cache.end()) return it->second;
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const std::string& n : names::all_constant_names())
    if (n.rfind(prefix, 0) == 0 && !is_alias(n))
      if (auto v = names::constant_value(n)) out.emplace_back(n, *v);
  return cache[prefix] = std::move(out);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string number(uint64_t v) {
  const auto i = static_cast<int64_t>(v);
  if (i > -4096 && i < 65536) return std::to_string(i);
  const auto i32 = static_cast<int32_t>(v);
  if (v <= 0xffffffffULL && i32 < 0 && i32 > -4096) return std::to_string(i32);
  return hex(v);
}

std::string enum_name(const std::string& prefix, uint64_t v) {
  for (const auto& [name, value] : constants(prefix))
    if (value == v) return name;
  return number(v);
}

// Flag names whose bits are all set, widest first; what is left over in hex.
std::string flag_names(const std::string& prefix, uint64_t v,
                       const std::vector<std::string>& skip = {}) {
  std::vector<std::pair<std::string, uint64_t>> cands;
  for (const auto& c : constants(prefix))
    if (c.second != 0 && std::find(skip.begin(), skip.end(), c.first) == skip.end())
      cands.push_back(c);
  std::stable_sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) {
    return std::popcount(a.second) > std::popcount(b.second);
  });
  std::string out;
  for (const auto& [name, value] : cands)
    if ((v & value) == value) {
      out += (out.empty() ? "" : "|") + name;
      v &= ~value;
    }
  if (v) out += (out.empty() ? "" : "|") + hex(v);
  return out.empty() ? "0" : out;
}

std::string open_flags(uint64_t v) {
  const std::vector<std::string> modes = {"O_RDONLY", "O_WRONLY", "O_RDWR"};
  std::string out = number(v & O_ACCMODE);
  for (const auto& m : modes)
    if (names::constant_value(m) == (v & O_ACCMODE)) out = m;
  const uint64_t rest = v & ~static_cast<uint64_t>(O_ACCMODE);
  return rest ? out + "|" + flag_names("O_", rest, modes) : out;
}

std::string clone_flags(uint64_t v, bool exit_signal) {
  const uint64_t sig = exit_signal ? (v & 0xff) : 0;
  std::string out = flag_names("CLONE_", v & ~sig);
  if (sig) {
    const char* abbrev = ::sigabbrev_np(static_cast<int>(sig));
    out += "|" + (abbrev ? "SIG" + std::string(abbrev) : number(sig));
  }
  return out;
}

std::string sock_type(uint64_t v) {
  std::string out = number(v & 0xf);
  for (const auto& [name, value] : constants("SOCK_"))  // SOCK_*_LOCK are not types
    if (value == (v & 0xf) && name.find("_LOCK") == std::string::npos) {
      out = name;
      break;
    }
  for (const char* f : {"SOCK_CLOEXEC", "SOCK_NONBLOCK"})
    if (auto bit = names::constant_value(f); bit && (v & *bit)) out += "|" + std::string(f);
  return out;
}

std::string quoted(const std::string& s) {
  return nlohmann::json(s).dump();  // JSON's escaping: quotes, backslashes, control bytes
}

bool is_open(const std::string& n) {
  return n == "open" || n == "openat" || n == "creat" || n == "openat2";
}

std::string value_text(const std::string& sys, const std::string& arg, uint64_t v) {
  if (arg.size() >= 5 && arg.substr(arg.size() - 5) == "dirfd" && static_cast<int>(v) == AT_FDCWD)
    return "AT_FDCWD";
  if (arg == "flags" && (sys == "open" || sys == "openat")) return open_flags(v);
  if (sys == "socket" || sys == "socketpair") {
    if (arg == "domain") return enum_name("AF_", v);
    if (arg == "type") return sock_type(v);
  }
  if (arg == "flags" && (sys == "clone" || sys == "unshare")) return clone_flags(v, sys == "clone");
  if (arg == "mode") {
    char octal[24];
    std::snprintf(octal, sizeof octal, v ? "0%llo" : "0", static_cast<unsigned long long>(v));
    return octal;
  }
  if (arg == "nstype" && sys == "setns") return clone_flags(v, false);
  return number(v);
}

// "openat(AT_FDCWD, "/etc/x", O_RDONLY|O_CLOEXEC)"
std::string call_text(const notify::Call& c) {
  const std::vector<std::string> args = syscall_arg_names(c.name);
  if (args.empty()) return c.name + "(...)";
  std::string out = c.name + "(";
  int paths = 0;
  for (unsigned i = 0; i < args.size() && i < 6; ++i) {
    if (i) out += ", ";
    const bool pointer = syscall_arg_is_pointer(c.name, i);
    if (pointer && notify::is_path_argument(args[i])) {
      const std::string& p = paths++ == 0 ? c.path : c.path2;
      out += p.empty() && c.args[i] ? hex(c.args[i]) : quoted(p);
    } else if (pointer && args[i] == "addr" && !c.address.empty()) {
      out += quoted(c.address);
    } else if (pointer) {
      out += c.args[i] ? hex(c.args[i]) : "NULL";
    } else {
      out += value_text(c.name, args[i], c.args[i]);
    }
  }
  return out + ")";
}

std::string policy_file(const ir::Policy& p) {
  if (!p.loc.known()) return "policy " + p.name;
  const size_t slash = p.loc.file.find_last_of('/');
  return slash == std::string::npos ? p.loc.file : p.loc.file.substr(slash + 1);
}

// ---- Landlock: the access a file call needs, and the policy's grants ----

struct Need {
  std::string path;    // where the kernel checks it (the file, or the directory for make/remove)
  uint64_t access;     // LANDLOCK_ACCESS_FS_*
  std::string object;  // "to create /dir/x": what the call does there, when `path` is its directory
};

std::string parent_of(const std::string& p) {
  const size_t slash = p.find_last_of('/');
  return slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
}

bool beneath(const std::string& dir, const std::string& p) {
  return dir == "/" || p == dir ||
         (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/');
}

// Policy words for Landlock's access bits (docs/landlock.md maps them the other way).
std::string access_words(uint64_t a) {
  std::string out;
  auto add = [&](const char* w) { out += (out.empty() ? "" : "+") + std::string(w); };
  if (a & (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)) add("read");
  if (a & ~(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
            LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_IOCTL_DEV))
    add("write");
  if (a & LANDLOCK_ACCESS_FS_EXECUTE) add("exec");
  if (a & LANDLOCK_ACCESS_FS_REFER) add("link");
  return out;
}

uint64_t make_access(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return LANDLOCK_ACCESS_FS_MAKE_DIR;
    case S_IFCHR:
      return LANDLOCK_ACCESS_FS_MAKE_CHAR;
    case S_IFBLK:
      return LANDLOCK_ACCESS_FS_MAKE_BLOCK;
    case S_IFIFO:
      return LANDLOCK_ACCESS_FS_MAKE_FIFO;
    case S_IFSOCK:
      return LANDLOCK_ACCESS_FS_MAKE_SOCK;
    case S_IFLNK:
      return LANDLOCK_ACCESS_FS_MAKE_SYM;
    default:
      return LANDLOCK_ACCESS_FS_MAKE_REG;
  }
}

// openat2's flags are in the caller's struct open_how.
uint64_t openat2_flags(const notify::Call& c) {
  uint64_t flags = 0;
  const std::string mem = "/proc/" + std::to_string(c.pid) + "/mem";
  UniqueFd fd(::open(mem.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::pread(fd.get(), &flags, sizeof flags, static_cast<off_t>(c.args[2])) !=
                         static_cast<ssize_t>(sizeof flags))
    return O_RDONLY;
  return flags;
}

std::vector<Need> needs(const notify::Call& c) {
  const std::string& n = c.name;
  std::vector<Need> out;
  if (c.path.empty()) return out;
  const notify::Resolved r = notify::resolve_in_container(c.pid, c.path);
  const std::string dir = parent_of(r.path);
  auto on_dir = [&](uint64_t a, const char* verb) {
    out.push_back({dir, a, std::string(verb) + " " + r.path});
  };
  if (is_open(n)) {
    const uint64_t flags = n == "creat"     ? (O_CREAT | O_WRONLY | O_TRUNC)
                           : n == "open"    ? c.args[1]
                           : n == "openat2" ? openat2_flags(c)
                                            : c.args[2];
    if (flags & O_PATH) return out;
    uint64_t a = 0;
    const uint64_t mode = flags & O_ACCMODE;
    if (mode == O_RDONLY || mode == O_RDWR)
      a |= r.directory ? LANDLOCK_ACCESS_FS_READ_DIR : LANDLOCK_ACCESS_FS_READ_FILE;
    if (mode == O_WRONLY || mode == O_RDWR) a |= LANDLOCK_ACCESS_FS_WRITE_FILE;
    if ((flags & O_TRUNC) && r.exists) a |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (!r.exists && (flags & O_CREAT)) on_dir(LANDLOCK_ACCESS_FS_MAKE_REG, "to create");
    if (r.exists || (flags & O_CREAT)) out.push_back({r.path, a, ""});
  } else if ((n == "execve" || n == "execveat") && r.exists) {  // else ENOENT comes first
    out.push_back({r.path, LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE, ""});
  } else if (n == "mkdir" || n == "mkdirat") {
    on_dir(LANDLOCK_ACCESS_FS_MAKE_DIR, "to create");
  } else if (n == "rmdir" || (n == "unlinkat" && (c.args[2] & AT_REMOVEDIR))) {
    on_dir(LANDLOCK_ACCESS_FS_REMOVE_DIR, "to remove");
  } else if (n == "unlink" || n == "unlinkat") {
    on_dir(r.directory ? LANDLOCK_ACCESS_FS_REMOVE_DIR : LANDLOCK_ACCESS_FS_REMOVE_FILE,
           "to remove");
  } else if (n == "symlink" || n == "symlinkat") {
    on_dir(LANDLOCK_ACCESS_FS_MAKE_SYM, "to create");
  } else if (n == "mknod" || n == "mknodat") {
    on_dir(make_access(static_cast<mode_t>(c.args[n == "mknod" ? 1 : 2])), "to create");
  } else if (n == "truncate" && r.exists) {
    out.push_back({r.path, LANDLOCK_ACCESS_FS_TRUNCATE, ""});
  } else if ((n.rfind("rename", 0) == 0 || n.rfind("link", 0) == 0) && !c.path2.empty()) {
    const notify::Resolved to = notify::resolve_in_container(c.pid, c.path2);
    const bool rename = n.rfind("rename", 0) == 0;
    const mode_t type = r.directory ? S_IFDIR : S_IFREG;
    if (rename)
      on_dir(r.directory ? LANDLOCK_ACCESS_FS_REMOVE_DIR : LANDLOCK_ACCESS_FS_REMOVE_FILE,
             "to move away");
    uint64_t a = make_access(type);
    if (parent_of(to.path) != dir) a |= LANDLOCK_ACCESS_FS_REFER;
    out.push_back({parent_of(to.path), a, "to create " + to.path});
  }
  return out;
}

}  // namespace

const std::vector<std::string>& landlock_file_calls() {
  static const std::vector<std::string> calls = {
      "open",    "openat", "openat2",  "creat",     "execve", "execveat", "mkdir",
      "mkdirat", "unlink", "unlinkat", "rmdir",     "rename", "renameat", "renameat2",
      "link",    "linkat", "symlink",  "symlinkat", "mknod",  "mknodat",  "truncate"};
  return calls;
}

const std::vector<std::string>& landlock_port_calls() {
  static const std::vector<std::string> calls = {"bind", "connect"};
  return calls;
}

std::vector<std::string> landlock_calls(const ir::Policy& policy) {
  const landlock::Ruleset rs = landlock::compile_ruleset(policy, landlock::kLatestKnownAbi);
  std::vector<std::string> out;
  if (rs.handled_fs) out = landlock_file_calls();
  if (rs.handled_net)
    out.insert(out.end(), landlock_port_calls().begin(), landlock_port_calls().end());
  return out;
}

ir::SeccompPolicy explain_variant(const ir::SeccompPolicy& seccomp,
                                  const std::vector<std::string>& also_notify) {
  ir::SeccompPolicy v = seccomp;
  const ir::Action notify_action{ir::ActionKind::UserNotify, 0};
  // errno(ENOSYS) is "not implemented", which the C library answers with its fallback (clone3 ->
  // clone under the shipped policies): not a refusal to explain, and not worth a round trip.
  auto refuses = [](const ir::Action& a) {
    return a.kind == ir::ActionKind::Errno && a.value != ENOSYS;
  };
  if (refuses(v.default_action)) v.default_action = notify_action;
  for (ir::SyscallRule& r : v.rules)
    if (refuses(r.action)) r.action = notify_action;
  for (const std::string& call : also_notify) {
    bool everywhere = false;  // an unconditional rule on every arch decides the rest
    for (ir::SyscallRule& r : v.rules) {
      if (r.syscall != call) continue;
      if (r.action.kind == ir::ActionKind::Allow) r.action = notify_action;
      if (r.args.empty() && r.arches.empty() && r.not_arches.empty() && !r.min_kernel)
        everywhere = true;
    }
    if (!everywhere && v.default_action.kind == ir::ActionKind::Allow) {
      ir::SyscallRule r;
      r.syscall = call;
      r.action = notify_action;
      v.rules.push_back(r);
    }
  }
  return v;
}

bool notifies(const std::vector<sock_filter>& filter) {
  return std::any_of(filter.begin(), filter.end(), [](const sock_filter& i) {
    return i.code == (BPF_RET | BPF_K) && (i.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
  });
}

Explainer::Explainer(const ir::Policy& policy, int landlock_abi, Format format, int fd)
    : policy_(policy),
      kernel_(seccomp::target_kernel(policy.seccomp, std::nullopt)),
      format_(format),
      fd_(fd) {
  if (landlock_abi > 0) ruleset_ = landlock::compile_ruleset(policy, landlock_abi);
}

notify::Reply Explainer::on_call(const notify::Call& call) {
  seccomp::Args args;
  std::copy(std::begin(call.args), std::end(call.args), args.begin());
  const seccomp::Decision d = seccomp::decide_rule(policy_.seccomp, call.arch,
                                                   static_cast<uint32_t>(call.nr), args, kernel_);
  switch (d.action.kind) {
    case ir::ActionKind::Errno:
      return seccomp_refusal(call, static_cast<int>(d.action.value), d.rule);
    case ir::ActionKind::Allow:
    case ir::ActionKind::Log:
      landlock_check(call);
      landlock_port_check(call);
      return {notify::Reply::Continue, 0};
    default:
      // The filter and the policy disagree (or the policy itself asks for a supervisor this run
      // does not have): refuse, as the kernel does for a notification nobody answers.
      return seccomp_refusal(call, ENOSYS, d.rule);
  }
}

notify::Reply Explainer::seccomp_refusal(const notify::Call& call, int error,
                                         const ir::SyscallRule* rule) {
  const ir::Action action{ir::ActionKind::Errno, static_cast<uint32_t>(error)};
  std::string key =
      "seccomp|" + call.name + "|" + call.path + "|" + call.path2 + "|" + call.address + "|";
  if (rule) {
    key += rule->loc.str() + rule->syscall;
    for (const auto& conj : rule->args)  // the arguments the rule's conditions compare
      for (const auto& cmp : conj)
        if (cmp.arg < 6) key += "|" + std::to_string(call.args[cmp.arg]);
  } else {
    key += "default";
  }
  if (format_ == Format::Off || seen_.count(key)) return {notify::Reply::Error, error};
  const std::string decided =
      rule ? exit_report::rule_text(*rule)
           : ir::describe(action) + " from the default of " + policy_file(policy_) +
                 (policy_.loc.known() ? " (" + policy_.loc.str() + ")" : "");
  nlohmann::ordered_json fields;
  if (!call.path.empty()) fields["path"] = call.path;
  fields["action"] = ir::describe(action);
  if (rule && rule->loc.known()) fields["rule"] = rule->loc.str();
  report(key, "seccomp", call, decided, fields);
  return {notify::Reply::Error, error};
}

void Explainer::landlock_check(const notify::Call& call) {
  if (!ruleset_.handled_fs || std::find(landlock_file_calls().begin(), landlock_file_calls().end(),
                                        call.name) == landlock_file_calls().end())
    return;
  if (!grants_resolved_) {  // the grants' own symlinks, resolved as Landlock opened them
    for (auto& g : ruleset_.paths) {
      notify::Resolved r = notify::resolve_in_container(call.pid, g.path);
      if (r.exists) g.path = r.path;
    }
    grants_resolved_ = true;
  }
  // The kernel stops at the first check that fails: one refusal per call, the first need missing.
  for (const Need& need : needs(call)) {
    const uint64_t wanted = need.access & ruleset_.handled_fs;
    uint64_t allowed = 0;
    std::vector<const landlock::PathGrant*> covering;
    for (const auto& g : ruleset_.paths)
      if (beneath(g.path, need.path)) {
        allowed |= g.access;
        covering.push_back(&g);
      }
    const uint64_t missing = wanted & ~allowed;
    if (!missing) continue;
    const std::string words = access_words(missing);
    const std::string key = "landlock|" + call.name + "|" + need.path + "|" + words;
    if (seen_.count(key)) return;
    std::string because =
        "no rule of " + policy_file(policy_) + " allows " + words + " on " + need.path;
    if (!need.object.empty()) because += " (" + need.object + ")";
    std::string others;
    for (const auto* g : covering)
      others += (others.empty() ? "" : ", ") + g->loc.str() + " allows " + g->rule;
    if (!others.empty()) because += " (" + others + ")";
    nlohmann::ordered_json fields;
    fields["path"] = need.path;
    fields["access"] = words;
    fields["landlock_access"] = landlock::fs_access_names(missing);
    report(key, "Landlock", call, because, fields);
    return;
  }
}

void Explainer::landlock_port_check(const notify::Call& call) {
  const bool bind = call.name == "bind";
  const uint64_t bit = bind ? LANDLOCK_ACCESS_NET_BIND_TCP : LANDLOCK_ACCESS_NET_CONNECT_TCP;
  if ((!bind && call.name != "connect") || !(ruleset_.handled_net & bit) || call.port < 0 ||
      (call.family != AF_INET && call.family != AF_INET6))
    return;
  // Landlock restricts TCP sockets only: the socket's type, from a copy of the caller's fd.
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, call.pid, 0)));
  UniqueFd sock(pidfd.valid() ? static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(),
                                                           static_cast<int>(call.args[0]), 0))
                              : -1);
  int type = 0, protocol = 0;
  socklen_t len = sizeof type;
  if (!sock.valid() || ::getsockopt(sock.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      ::getsockopt(sock.get(), SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 ||
      type != SOCK_STREAM || protocol != IPPROTO_TCP)
    return;
  for (const auto& g : ruleset_.ports)
    if ((g.access & bit) && call.port >= g.first && call.port <= g.last) return;
  const std::string what =
      std::string(bind ? "bind" : "connect") + " tcp " + std::to_string(call.port);
  const std::string key = "landlock|" + what;
  if (seen_.count(key)) return;
  std::string because = "no rule of " + policy_file(policy_) + " allows " + what;
  std::string others;
  for (const ir::PortRule& r : policy_.network.ports)
    if (!r.deny && r.kind == (bind ? ir::PortRule::Bind : ir::PortRule::Connect))
      others += (others.empty() ? "" : ", ") + r.loc.str() + " allows " + ir::describe(r);
  if (!others.empty()) because += " (" + others + ")";
  nlohmann::ordered_json fields;
  fields["address"] = call.address;
  fields["access"] = what;
  fields["landlock_access"] = bind ? "bind_tcp" : "connect_tcp";
  report(key, "Landlock", call, because, fields);
}

void Explainer::report(const std::string& key, const char* layer, const notify::Call& call,
                       const std::string& because, const nlohmann::ordered_json& fields) {
  if (format_ == Format::Off || !seen_.insert(key).second) return;
  const std::string text = call_text(call);
  std::string line;
  if (format_ == Format::Json) {
    const bool landlock = std::string(layer) == "Landlock";
    nlohmann::ordered_json j;
    j["layer"] = landlock ? "landlock" : "seccomp";
    j["syscall"] = call.name;
    j["call"] = text;
    j.update(fields);
    // Landlock's: an evaluation of the ruleset at the call's entry, not a kernel event.
    if (landlock) j["predicted"] = true;
    j["decided_by"] = because;
    j["pid"] = call.pid;
    line = j.dump() + "\n";
  } else {
    line = "policyrun: denied: " + text + " by " + layer + ": " + because + "\n";
  }
  if (::write(fd_, line.data(), line.size()) < 0) {
  }  // a report that cannot be written does not change the answer
}

}  // namespace policy::launch::denials
