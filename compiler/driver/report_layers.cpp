#include "compiler/driver/report_layers.hpp"

#include <linux/audit.h>
#include <linux/net.h>
#include <linux/seccomp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "compiler/common/names.hpp"
#include "compiler/ir/path_variables.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::driver {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool refuses(uint32_t ret) {
  switch (seccomp::action_of(ret).kind) {
    case ir::ActionKind::Errno:
    case ir::ActionKind::KillProcess:
    case ir::ActionKind::KillThread:
    case ir::ActionKind::Trap:
      return true;
    default:  // allow, log, and trace/user-notify, where a program in user space decides
      return false;
  }
}

constexpr const char* kSocketTypes[] = {"SOCK_STREAM",    "SOCK_DGRAM", "SOCK_RAW",   "SOCK_RDM",
                                        "SOCK_SEQPACKET", "SOCK_DCCP",  "SOCK_PACKET"};

// The socket types a probe tries when a rule names none (values from <sys/socket.h>).
std::vector<uint64_t> all_socket_types() {
  std::vector<uint64_t> out = {0};
  for (const char* n : kSocketTypes)
    if (auto v = names::constant_value(n)) out.push_back(*v);
  return out;
}

// "SOCK_STREAM|SOCK_CLOEXEC" for a probe's type argument.
std::string socket_type_text(uint64_t type) {
  std::string out;
  for (const char* flag : {"SOCK_CLOEXEC", "SOCK_NONBLOCK"})
    if (auto v = names::constant_value(flag); v && (type & *v)) {
      out += std::string("|") + flag;
      type &= ~*v;
    }
  for (const char* n : kSocketTypes)
    if (names::constant_value(n) == type) return n + out;
  return std::to_string(type) + out;
}

// Every address family of <sys/socket.h> but AF_UNSPEC, once per value.
std::set<uint64_t> all_families() {
  std::set<uint64_t> out;
  const auto max = names::constant_value("AF_MAX");
  for (const std::string& n : names::all_constant_names())
    if (n.rfind("AF_", 0) == 0 && n != "AF_MAX" && n != "AF_UNSPEC")
      if (auto v = names::constant_value(n); v && (!max || *v < *max)) out.insert(*v);
  return out;
}

std::optional<uint64_t> family_value(const std::string& family) {
  return names::constant_value("AF_" + upper(family));
}

// The name of a constant with `prefix` ("AF_", "SOCK_") for the low 32 bits of `value` (the int
// the kernel reads), with the upper bits the filter also sees: "AF_ALG|0x100000000".
std::string constant_text(const char* prefix, uint64_t value) {
  const uint64_t low = value & 0xffffffffULL;
  std::string name = names::constant_name(prefix, low).value_or(std::to_string(low));
  if (value != low) {
    char buf[32];
    snprintf(buf, sizeof buf, "|0x%llx", static_cast<unsigned long long>(value & ~low));
    name += buf;
  }
  return name;
}

std::string family_text(uint64_t family) {
  return constant_text("AF_", family);
}

// seccomp's verdict when the filter refuses `what` on the `refusing` arches and lets `passes`
// through on the others.
LayerVerdict refusal(const std::string& what, const std::vector<std::string>& refusing,
                     const std::string& passes) {
  LayerVerdict v{"seccomp", Enforcement::Enforced,
                 "the compiled filter refuses " + what + " on " + joined(refusing)};
  if (!passes.empty()) {
    v.status = Enforcement::Partial;
    v.reason += " but lets " + passes + " through";
  }
  return v;
}

}  // namespace

FilterProbe::FilterProbe(const ir::SeccompPolicy& policy, const seccomp::Program& filter)
    : policy_(policy), filter_(filter) {}

std::vector<FilterProbe::Call> FilterProbe::socket_calls(uint64_t family,
                                                         const std::vector<uint64_t>& types,
                                                         bool wide_args) const {
  std::vector<Call> calls;
  const uint64_t cloexec = names::constant_value("SOCK_CLOEXEC").value_or(0);
  const uint64_t nonblock = names::constant_value("SOCK_NONBLOCK").value_or(0);
  // The kernel reads the family as an int: on 64-bit ABIs the register's upper half is ignored
  // by socket() but seen by a filter that compares all 64 bits.
  std::vector<uint64_t> fams = {family};
  if (wide_args) fams = {family, family | (1ULL << 32), family | 0xffffffff00000000ULL};
  for (uint64_t f : fams)
    for (uint64_t t : types)
      for (uint64_t flags : {uint64_t{0}, cloexec, cloexec | nonblock})
        for (uint64_t proto : {0, 6, 17}) calls.push_back({"socket", {f, t | flags, proto}});
  return calls;
}

std::vector<std::string> FilterProbe::refusing_arches(const std::vector<Call>& calls,
                                                      std::string* passes,
                                                      bool* any_refused) const {
  std::vector<std::string> refusing;
  for (uint32_t arch : policy_.arches) {
    const bool wide = seccomp::audit_arch(arch) & __AUDIT_ARCH_64BIT;
    std::vector<Call> on_arch;
    for (const Call& c : calls) {
      bool high = std::any_of(c.args.begin(), c.args.end(), [](uint64_t a) { return a >> 32; });
      if (!high || wide) on_arch.push_back(c);
    }
    // A socket call may also come through the arch's multiplexer (x86's socketcall), whose
    // arguments are in memory: the filter sees only which call it is.
    if (!calls.empty() && calls.front().syscall == "socket")
      if (auto mux = seccomp::multiplexer_of("socket", arch))
        on_arch.push_back({*mux, {SYS_SOCKET, 0}, *mux + "(SYS_SOCKET, ...)"});
    bool all = true, any_exists = false;
    for (const Call& c : on_arch) {
      auto nr = names::syscall_number(c.syscall, arch);
      if (!nr) continue;
      any_exists = true;
      seccomp_data d{};
      d.nr = *nr;
      d.arch = seccomp::audit_arch(arch);
      for (size_t i = 0; i < c.args.size() && i < 6; ++i) d.args[i] = c.args[i];
      if (refuses(seccomp::run_filter(filter_, d))) {
        if (any_refused) *any_refused = true;
        continue;
      }
      if (!all) continue;  // the first call let through on this arch is the example
      all = false;
      if (passes) {
        std::string args;
        for (size_t i = 0; i < c.args.size(); ++i)
          args += (i ? ", " : "") + (c.syscall != "socket" ? std::to_string(c.args[i])
                                     : i == 0              ? family_text(c.args[0])
                                     : i == 1              ? socket_type_text(c.args[1])
                                                           : std::to_string(c.args[i]));
        *passes += (passes->empty() ? "" : "; ") +
                   (c.label.empty() ? c.syscall + "(" + args + ")" : c.label) + " on " +
                   names::arch_name(arch);
      }
    }
    if (all && any_exists) refusing.push_back(names::arch_name(arch));
  }
  return refusing;
}

std::optional<LayerVerdict> FilterProbe::sockets(const std::string& family,
                                                 const std::string& type) const {
  std::vector<uint64_t> fams;
  if (family.empty()) {
    auto all = all_families();
    fams.assign(all.begin(), all.end());
  } else if (auto f = family_value(family)) {
    fams = {*f};
  } else {
    return std::nullopt;
  }
  std::vector<uint64_t> types = all_socket_types();
  if (!type.empty()) {
    auto t = names::constant_value("SOCK_" + upper(type));
    if (!t) return std::nullopt;
    types = {*t};
  }
  std::vector<Call> calls;
  for (uint64_t f : fams) {
    auto c = socket_calls(f, types, true);
    calls.insert(calls.end(), c.begin(), c.end());
  }
  std::string passes;
  std::vector<std::string> refusing = refusing_arches(calls, &passes);
  if (refusing.empty()) return std::nullopt;
  const std::string what =
      "socket(" + (family.empty() ? std::string("any family") : family_text(fams.front())) +
      (type.empty() ? ", ..." : ", SOCK_" + upper(type) + ", ...") + ")";
  return refusal(what, refusing, passes);
}

LayerVerdict FilterProbe::ungranted_families(const ir::NetworkPolicy& network) const {
  // Family -> the types granted (empty set: every type).
  std::map<uint64_t, std::set<uint64_t>> granted;
  for (const ir::SocketRule& r : network.sockets) {
    if (r.deny) continue;
    auto f = family_value(r.family);
    if (!f) continue;
    auto t = r.type.empty() ? std::nullopt : names::constant_value("SOCK_" + upper(r.type));
    auto [it, fresh] = granted.try_emplace(*f);
    if (!t)
      it->second = {0xffffffffULL};  // every type
    else if (!it->second.count(0xffffffffULL))
      it->second.insert(*t);
  }
  std::vector<Call> calls;
  for (uint64_t f : all_families()) {
    std::vector<uint64_t> types;
    auto g = granted.find(f);
    if (g == granted.end()) {
      types = all_socket_types();
    } else if (!g->second.count(0xffffffffULL)) {
      for (uint64_t t : all_socket_types())
        if (t != 0 && !g->second.count(t)) types.push_back(t);
    }
    if (types.empty()) continue;
    auto c = socket_calls(f, types, true);
    calls.insert(calls.end(), c.begin(), c.end());
  }
  std::string passes;
  bool any_refused = false;
  std::vector<std::string> refusing = refusing_arches(calls, &passes, &any_refused);
  if (passes.empty())
    return {"seccomp", Enforcement::Enforced,
            "the compiled filter refuses socket() of every family and type not granted, on " +
                joined(refusing)};
  if (!refusing.empty())
    return {"seccomp", Enforcement::Partial,
            "the compiled filter refuses them on " + joined(refusing) + " but lets " + passes +
                " through"};
  if (any_refused)
    return {"seccomp", Enforcement::Partial,
            "the compiled filter refuses some of them but lets " + passes + " through"};
  return {"seccomp", Enforcement::NotEnforced, "the compiled filter lets " + passes + " through"};
}

std::optional<LayerVerdict> FilterProbe::mount_calls(const std::string& kind) const {
  std::vector<std::string> syscalls;
  if (kind == "umount")
    syscalls = {"umount", "umount2"};
  else if (kind == "pivot_root")
    syscalls = {"pivot_root"};
  else  // mount, remount: the old call and the new mount API
    syscalls = {"mount",  "fsopen",     "fsconfig",  "fsmount",
                "fspick", "move_mount", "open_tree", "mount_setattr"};
  std::vector<Call> calls;
  for (const std::string& s : syscalls)
    for (uint64_t v : {uint64_t{0}, ~uint64_t{0}}) calls.push_back({s, {v, v, v, v, v, v}});
  std::string passes;
  std::vector<std::string> refusing = refusing_arches(calls, &passes);
  if (refusing.empty()) return std::nullopt;
  const std::string what = joined(syscalls);
  return refusal(what, refusing, passes);
}

std::optional<LayerVerdict> runtime_path_verdict(const ir::Policy& p, const ir::PathRule& rule) {
  if (!rule.deny) return std::nullopt;
  const bool own_mounts =
      std::any_of(p.namespaces.namespaces.begin(), p.namespaces.namespaces.end(),
                  [](const ir::NamespaceSpec& n) { return n.kind == ir::NamespaceKind::Mount; });
  if (!own_mounts) return std::nullopt;
  const std::string path = ir::expand_variables(rule.pattern);
  const std::string literal = path.substr(0, path.find_first_of("*?[{\\"));
  const bool glob = literal.size() != path.size();
  // Every path the pattern matches is `dir` or below it.
  auto within = [&](const std::string& dir) {
    return literal.rfind(dir + "/", 0) == 0 || (!glob && literal == dir);
  };
  const uint32_t read_only = ir::kWrite | ir::kAppend | ir::kLink;
  const uint32_t no_exec = ir::kExec | ir::kMap;
  uint32_t covered = 0;
  std::vector<std::string> how;
  for (const std::string& m : p.rootfs.masked_paths)
    if (within(m)) {
      covered = ~0u;
      how.push_back(m +
                    " is masked (the container sees an empty read-only stand-in, never the "
                    "host's file)");
    }
  for (const std::string& m : p.rootfs.readonly_paths)
    if (within(m)) {
      covered |= read_only | no_exec;
      how.push_back(m + " is mounted read-only and noexec");
    }
  if (within("/sys")) {
    covered |= read_only | no_exec;
    how.push_back("/sys is mounted read-only and noexec");
  }
  if (within("/proc")) {
    covered |= no_exec;
    how.push_back("/proc is mounted noexec");
  }
  const uint32_t done = rule.access & covered;
  if (!done) return std::nullopt;
  LayerVerdict v{"runtime", Enforcement::Enforced, "policyrun: " + joined(how)};
  if (const uint32_t left = rule.access & ~covered) {
    v.status = Enforcement::Partial;
    v.reason += "; " + ir::access_words(left) + " not refused by the mounts";
  } else if (p.capabilities.has(*names::capability_number("SYS_ADMIN"))) {
    v.status = Enforcement::Partial;
    v.reason += "; a process with CAP_SYS_ADMIN, which the policy keeps, can remount it";
  }
  return v;
}

}  // namespace policy::driver
