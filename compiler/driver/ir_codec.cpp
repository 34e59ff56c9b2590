#include "compiler/driver/ir_codec.hpp"

#include <cstdint>
#include <cstring>
#include <map>
#include <type_traits>
#include <vector>

namespace policy::driver {

void put_string(std::string& out, std::string_view s) {
  const auto n = static_cast<uint32_t>(s.size());
  char b[sizeof n];
  std::memcpy(b, &n, sizeof n);
  out.append(b, sizeof n);
  out += s;
}

bool take_string(std::string_view& in, std::string& s) {
  uint32_t n;
  if (in.size() < sizeof n) return false;
  std::memcpy(&n, in.data(), sizeof n);
  if (in.size() - sizeof n < n) return false;
  s.assign(in.data() + sizeof n, n);
  in.remove_prefix(sizeof n + n);
  return true;
}

namespace {

// Every field of every IR struct is written here and read back in the same order. A field
// missing from both would be lost silently on a cache hit, so the struct sizes are pinned
// (x86_64, libstdc++): a field added to the IR breaks the build here until it is coded, and
// tests/launch compare cached and fresh compiles of every shipped policy output for output.
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(SourceLoc) == 40);
static_assert(sizeof(ir::CapabilitySets) == 80);
static_assert(sizeof(ir::PathRule) == 112);
static_assert(sizeof(ir::MountRule) == 112);
static_assert(sizeof(ir::SignalRule) == 104);
static_assert(sizeof(ir::PtraceRule) == 104);
static_assert(sizeof(ir::FilesystemPolicy) == 152);
static_assert(sizeof(ir::SocketRule) == 112);
static_assert(sizeof(ir::PortRule) == 88);
static_assert(sizeof(ir::NetworkPolicy) == 64);
static_assert(sizeof(ir::NamespaceSpec) == 112);
static_assert(sizeof(ir::IdMap) == 12);
static_assert(sizeof(ir::NamespacePlan) == 72);
static_assert(sizeof(ir::MountSpec) == 136);
static_assert(sizeof(ir::RootfsPlan) == 128);
static_assert(sizeof(ir::DeviceRule) == 72);
static_assert(sizeof(ir::DevicePlan) == 32);
static_assert(sizeof(ir::Sysctl) == 104);
static_assert(sizeof(ir::ResourceLimits) == 264);
static_assert(sizeof(ir::Rlimit) == 64);
static_assert(sizeof(ir::ProcessPlan) == 288);
static_assert(sizeof(ir::Action) == 8);
static_assert(sizeof(ir::Comparison) == 112);
static_assert(sizeof(ir::KernelVersion) == 8);
static_assert(sizeof(ir::SyscallRule) == 248);
static_assert(sizeof(ir::SeccompPolicy) == 104);
static_assert(sizeof(ir::Removal) == 104);
static_assert(sizeof(ir::Policy) == 1296);
#endif

struct Malformed {};

class Writer {
 public:
  std::string out;
  template <typename T>
  std::enable_if_t<std::is_arithmetic_v<T> || std::is_enum_v<T>> raw(T v) {
    char b[sizeof v];
    std::memcpy(b, &v, sizeof v);
    out.append(b, sizeof v);
  }
  void str(const std::string& s) { put_string(out, s); }
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T raw() {
    if (in_.size() < sizeof(T)) throw Malformed{};
    T v;
    std::memcpy(&v, in_.data(), sizeof v);
    in_.remove_prefix(sizeof v);
    return v;
  }
  std::string str() {
    std::string s;
    if (!take_string(in_, s)) throw Malformed{};
    return s;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

// One function per type, used for both directions: `io(c, x)` writes x (Writer) or reads into x
// (Reader), so the order of the fields cannot differ between the two.
template <typename T>
std::enable_if_t<std::is_arithmetic_v<T>> io(Writer& w, const T& v) {
  w.raw(v);
}
template <typename T>
std::enable_if_t<std::is_arithmetic_v<T>> io(Reader& r, T& v) {
  v = r.raw<T>();
}
template <typename E>
std::enable_if_t<std::is_enum_v<E>> io(Writer& w, const E& v) {
  w.raw(static_cast<std::underlying_type_t<E>>(v));
}
// Enums are checked against their last enumerator (passed as `last`) when read.
template <typename E>
void io_enum(Reader& r, E& v, E last) {
  auto u = r.raw<std::underlying_type_t<E>>();
  if (u < 0 || u > static_cast<std::underlying_type_t<E>>(last)) throw Malformed{};
  v = static_cast<E>(u);
}
void io(Writer& w, const std::string& s) {
  w.str(s);
}
void io(Reader& r, std::string& s) {
  s = r.str();
}
template <typename T>
void io(Writer& w, const std::vector<T>& v) {
  w.raw<uint32_t>(static_cast<uint32_t>(v.size()));
  for (const T& x : v) io(w, x);
}
template <typename T>
void io(Reader& r, std::vector<T>& v) {
  const auto n = r.raw<uint32_t>();
  if (n > (1u << 24)) throw Malformed{};
  v.clear();
  v.resize(n);
  for (T& x : v) io(r, x);
}
template <typename T>
void io(Writer& w, const std::optional<T>& o) {
  w.raw<uint8_t>(o ? 1 : 0);
  if (o) io(w, *o);
}
template <typename T>
void io(Reader& r, std::optional<T>& o) {
  const auto has = r.raw<uint8_t>();
  if (has > 1) throw Malformed{};
  if (has) {
    T x{};
    io(r, x);
    o = std::move(x);
  } else {
    o.reset();
  }
}
void io(Writer& w, const std::map<std::string, std::string>& m) {
  w.raw<uint32_t>(static_cast<uint32_t>(m.size()));
  for (const auto& [k, v] : m) {
    w.str(k);
    w.str(v);
  }
}
void io(Reader& r, std::map<std::string, std::string>& m) {
  const auto n = r.raw<uint32_t>();
  m.clear();
  for (uint32_t i = 0; i < n; ++i) {
    std::string k = r.str();
    m[k] = r.str();
  }
}
void io(Writer& w, const bool& b) {
  w.raw<uint8_t>(b ? 1 : 0);
}
void io(Reader& r, bool& b) {
  const auto v = r.raw<uint8_t>();
  if (v > 1) throw Malformed{};
  b = v == 1;
}

// Struct coders: FIELDS lists the members once; an enum member needs its last enumerator.
// T names a type in a declaration, where parentheses cannot go.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define PC_STRUCT(T, FIELDS)       \
  void io(Writer& w, const T& x) { \
    FIELDS(w, x)                   \
  }                                \
  void io(Reader& r, T& x) {       \
    FIELDS(r, x)                   \
  }
// NOLINTEND(bugprone-macro-parentheses)
#define F(c, x, m) io(c, (x).m);
#define E(c, x, m, last) pc_enum(c, (x).m, last);

template <typename E>
void pc_enum(Writer& w, const E& v, E) {
  io(w, v);
}
template <typename E>
void pc_enum(Reader& r, E& v, E last) {
  io_enum(r, v, last);
}

#define LOC_FIELDS(c, x) F(c, x, file) F(c, x, line) F(c, x, column)
PC_STRUCT(SourceLoc, LOC_FIELDS)

using namespace ir;

#define CAPS_FIELDS(c, x) \
  F(c, x, bounding)       \
  F(c, x, permitted) F(c, x, effective) F(c, x, inheritable) F(c, x, ambient) F(c, x, loc)
PC_STRUCT(CapabilitySets, CAPS_FIELDS)
#define PATH_FIELDS(c, x) \
  F(c, x, deny) F(c, x, access) F(c, x, pattern) F(c, x, exec_mode) F(c, x, loc)
PC_STRUCT(PathRule, PATH_FIELDS)
#define MOUNTRULE_FIELDS(c, x) F(c, x, deny) F(c, x, kind) F(c, x, text) F(c, x, loc)
PC_STRUCT(MountRule, MOUNTRULE_FIELDS)
#define SIGNAL_FIELDS(c, x) F(c, x, deny) F(c, x, perms) F(c, x, peer) F(c, x, loc)
PC_STRUCT(SignalRule, SIGNAL_FIELDS)
PC_STRUCT(PtraceRule, SIGNAL_FIELDS)
#define FS_FIELDS(c, x)                                                           \
  F(c, x, allow_all_files)                                                        \
  F(c, x, allow_all_loc)                                                          \
  F(c, x, rules) F(c, x, mount_rules) F(c, x, signal_rules) F(c, x, ptrace_rules) \
      F(c, x, specified)
PC_STRUCT(FilesystemPolicy, FS_FIELDS)
#define SOCKET_FIELDS(c, x) F(c, x, deny) F(c, x, family) F(c, x, type) F(c, x, loc)
PC_STRUCT(SocketRule, SOCKET_FIELDS)
#define PORT_FIELDS(c, x) \
  F(c, x, deny)           \
  E(c, x, kind, PortRule::Connect) F(c, x, protocol) F(c, x, first) F(c, x, last) F(c, x, loc)
PC_STRUCT(PortRule, PORT_FIELDS)
#define NET_FIELDS(c, x) \
  F(c, x, specified)     \
  F(c, x, sockets) F(c, x, ports) F(c, x, scope_abstract_unix) F(c, x, scope_signals)
PC_STRUCT(NetworkPolicy, NET_FIELDS)
#define NSSPEC_FIELDS(c, x) \
  E(c, x, kind, NamespaceKind::Time) F(c, x, join_path) F(c, x, loc) F(c, x, container)
PC_STRUCT(NamespaceSpec, NSSPEC_FIELDS)
#define IDMAP_FIELDS(c, x) F(c, x, inside) F(c, x, outside) F(c, x, count)
PC_STRUCT(IdMap, IDMAP_FIELDS)
#define NSPLAN_FIELDS(c, x) F(c, x, namespaces) F(c, x, uid_map) F(c, x, gid_map)
PC_STRUCT(NamespacePlan, NSPLAN_FIELDS)
#define MOUNTSPEC_FIELDS(c, x) \
  E(c, x, kind, MountSpec::Mqueue) F(c, x, source) F(c, x, target) F(c, x, options) F(c, x, loc)
PC_STRUCT(MountSpec, MOUNTSPEC_FIELDS)
#define ROOTFS_FIELDS(c, x)                                                                    \
  F(c, x, readonly)                                                                            \
  F(c, x, use_chroot)                                                                          \
  F(c, x, mounts) F(c, x, masked_paths) F(c, x, readonly_paths) F(c, x, nosuid) F(c, x, nodev) \
      F(c, x, loc)
PC_STRUCT(RootfsPlan, ROOTFS_FIELDS)
// The device type is a letter (a, b, c), checked by hand as no enumerator range covers it.
void io(Writer& w, const DeviceRule::Type& t) {
  w.raw(static_cast<char>(t));
}
void io(Reader& r, DeviceRule::Type& t) {
  const char c = r.raw<char>();
  if (c != DeviceRule::All && c != DeviceRule::Char && c != DeviceRule::Block) throw Malformed{};
  t = static_cast<DeviceRule::Type>(c);
}
#define DEVRULE_FIELDS(c, x) \
  F(c, x, type) F(c, x, major) F(c, x, minor) F(c, x, access) F(c, x, loc)
PC_STRUCT(DeviceRule, DEVRULE_FIELDS)
#define DEVPLAN_FIELDS(c, x) F(c, x, specified) F(c, x, rules)
PC_STRUCT(DevicePlan, DEVPLAN_FIELDS)
#define SYSCTL_FIELDS(c, x) F(c, x, key) F(c, x, value) F(c, x, loc)
PC_STRUCT(Sysctl, SYSCTL_FIELDS)
#define RES_FIELDS(c, x)                                                               \
  F(c, x, memory_bytes)                                                                \
  F(c, x, memory_swap_bytes)                                                           \
  F(c, x, cpu_shares) F(c, x, cpu_weight) F(c, x, cpu_quota_us) F(c, x, cpu_period_us) \
      F(c, x, pids) F(c, x, cpuset_cpus) F(c, x, cpuset_mems) F(c, x, devices) F(c, x, loc)
PC_STRUCT(ResourceLimits, RES_FIELDS)
#define RLIMIT_FIELDS(c, x) F(c, x, resource) F(c, x, soft) F(c, x, hard) F(c, x, loc)
PC_STRUCT(Rlimit, RLIMIT_FIELDS)
#define PROCESS_FIELDS(c, x)                                                                  \
  F(c, x, no_new_privileges)                                                                  \
  F(c, x, uid)                                                                                \
  F(c, x, gid) F(c, x, user) F(c, x, supplementary_groups) F(c, x, hostname) F(c, x, rlimits) \
      F(c, x, env) F(c, x, cwd) F(c, x, init) F(c, x, loc)
PC_STRUCT(ProcessPlan, PROCESS_FIELDS)
#define ACTION_FIELDS(c, x) E(c, x, kind, ActionKind::UserNotify) F(c, x, value)
PC_STRUCT(Action, ACTION_FIELDS)
#define CMP_FIELDS(c, x)                                                                     \
  F(c, x, arg)                                                                               \
  F(c, x, arg_name)                                                                          \
  E(c, x, op, CmpOp::MaskedEq) F(c, x, value) F(c, x, mask) E(c, x, width, ArgWidth::Bits32) \
      F(c, x, loc)
PC_STRUCT(Comparison, CMP_FIELDS)
#define KV_FIELDS(c, x) F(c, x, major) F(c, x, minor)
PC_STRUCT(KernelVersion, KV_FIELDS)
#define RULE_FIELDS(c, x)                                                                         \
  F(c, x, syscall)                                                                                \
  F(c, x, action)                                                                                 \
  F(c, x, args) F(c, x, arches) F(c, x, not_arches) F(c, x, min_kernel) F(c, x, loc) F(c, x, via) \
      F(c, x, requires_caps) F(c, x, unless_caps)
PC_STRUCT(SyscallRule, RULE_FIELDS)
#define SECCOMP_FIELDS(c, x) \
  F(c, x, default_action)    \
  F(c, x, arches)            \
  F(c, x, rules) F(c, x, inactive_rules) F(c, x, target_kernel) F(c, x, bad_arch_action)
PC_STRUCT(SeccompPolicy, SECCOMP_FIELDS)
#define REMOVAL_FIELDS(c, x) F(c, x, section) F(c, x, name) F(c, x, loc)
PC_STRUCT(Removal, REMOVAL_FIELDS)
#define POLICY_FIELDS(c, x)                                                                  \
  F(c, x, name)                                                                              \
  F(c, x, loc)                                                                               \
  F(c, x, bases) F(c, x, seccomp) F(c, x, capabilities) F(c, x, filesystem) F(c, x, network) \
      F(c, x, namespaces) F(c, x, resources) F(c, x, process) F(c, x, rootfs) F(c, x, sysctls) \
          F(c, x, removals)
PC_STRUCT(Policy, POLICY_FIELDS)

}  // namespace

std::string encode_ir(const ir::Policy& policy) {
  Writer w;
  io(w, policy);
  return std::move(w.out);
}

std::optional<ir::Policy> decode_ir(std::string_view bytes) {
  try {
    Reader r(bytes);
    ir::Policy p;
    io(r, p);
    if (!r.done()) return std::nullopt;
    return p;
  } catch (const Malformed&) {
    return std::nullopt;
  }
}

}  // namespace policy::driver
