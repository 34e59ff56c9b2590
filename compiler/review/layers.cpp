// The privilege delta of every layer but seccomp, from the IR each backend compiles: capability
// sets, paths and accesses, sockets and ports, namespaces, cgroup limits and devices, process
// attributes, the root filesystem, sysctls and whether a Landlock ruleset exists. Rules are
// compared as sets (keyed by what they govern), so order and grouping in the text do not matter.
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "compiler/apparmor/profile.hpp"
#include "compiler/common/names.hpp"
#include "compiler/ir/describe.hpp"
#include "compiler/landlock/abi.hpp"
#include "compiler/landlock/ruleset.hpp"
#include "compiler/review/delta.hpp"

namespace policy::review {

namespace {

struct Out {
  std::vector<Change>& changes;
  std::string category;
  void widen(Severity s, const std::string& text, const SourceLoc& loc, bool removed = false) {
    changes.push_back({category, Direction::Widen, s, text, loc, removed});
  }
  void narrow(const std::string& text, const SourceLoc& loc, bool removed = false) {
    changes.push_back({category, Direction::Narrow, Severity::Info, text, loc, removed});
  }
  void change(const std::string& text, const SourceLoc& loc, bool removed = false) {
    changes.push_back({category, Direction::Change, Severity::Info, text, loc, removed});
  }
};

// NEW's location when it has one, else NEW's `-X` that took it away from a base (section, name),
// else OLD's (marked removed).
std::pair<SourceLoc, bool> where(const SourceLoc& n, const SourceLoc& o,
                                 const ir::Removal* removal = nullptr) {
  if (!n.known() && removal) return {removal->loc, false};
  return n.known() ? std::make_pair(n, false) : std::make_pair(o, o.known());
}

// ---- capabilities ----

Severity capability_severity(int cap) {
  for (const char* name : {"SYS_ADMIN", "SYS_MODULE"})
    if (names::capability_number(name) == cap) return Severity::Critical;
  for (const char* name : {"SYS_PTRACE", "SYS_RAWIO", "DAC_READ_SEARCH", "DAC_OVERRIDE",
                           "NET_ADMIN", "BPF", "PERFMON", "SYS_BOOT", "MAC_ADMIN", "MAC_OVERRIDE",
                           "SETFCAP", "SYS_TIME", "SYSLOG", "NET_RAW", "MKNOD"})
    if (names::capability_number(name) == cap) return Severity::High;
  return Severity::Medium;
}

void capabilities(const ir::Policy& o, const ir::Policy& n, Out out) {
  struct Set {
    const char* name;
    uint64_t ir::CapabilitySets::*bits;
  };
  const Set sets[] = {{"bounding", &ir::CapabilitySets::bounding},
                      {"permitted", &ir::CapabilitySets::permitted},
                      {"effective", &ir::CapabilitySets::effective},
                      {"inheritable", &ir::CapabilitySets::inheritable},
                      {"ambient", &ir::CapabilitySets::ambient}};
  auto [loc, removed] = where(n.capabilities.loc, o.capabilities.loc);
  for (int cap = 0; cap <= names::last_capability(); ++cap) {
    std::string added, dropped;
    bool usable = false;  // in a set the process can use without exec'ing a file capability
    for (const Set& s : sets) {
      const bool was = (o.capabilities.*s.bits >> cap) & 1,
                 is = (n.capabilities.*s.bits >> cap) & 1;
      if (is && !was) {
        added += (added.empty() ? "" : ", ") + std::string(s.name);
        usable = usable || s.bits != &ir::CapabilitySets::bounding;
      }
      if (was && !is) dropped += (dropped.empty() ? "" : ", ") + std::string(s.name);
    }
    const std::string name = names::capability_name(cap);
    if (const ir::Removal* r = n.removal("capabilities", name); r && !dropped.empty()) {
      out.narrow(name + " removed from the " + dropped + " set" +
                     (dropped.find(',') != std::string::npos ? "s" : ""),
                 r->loc);
      continue;
    }
    if (!added.empty())
      out.widen(usable ? capability_severity(cap) : Severity::Low,
                name + " added to the " + added + " set" +
                    (added.find(',') != std::string::npos ? "s" : ""),
                loc, removed);
    if (!dropped.empty())
      out.narrow(name + " removed from the " + dropped + " set" +
                     (dropped.find(',') != std::string::npos ? "s" : ""),
                 loc, removed);
  }
}

// ---- filesystem ----

struct Access {
  uint32_t bits = 0;
  std::string exec_mode;
  SourceLoc loc;
};

std::map<std::pair<bool, std::string>, Access> path_rules(const ir::FilesystemPolicy& fs) {
  std::map<std::pair<bool, std::string>, Access> m;
  for (const ir::PathRule& r : fs.rules) {
    Access& a = m[{r.deny, r.pattern}];
    a.bits |= r.access;
    if (!r.exec_mode.empty()) a.exec_mode = r.exec_mode;
    if (!a.loc.known()) a.loc = r.loc;
  }
  return m;
}

// Rules of one kind compared by their text: allow added or deny removed widens.
// `old_open` / `new_open`: that side allows everything the allow rules could (no section, or
// `allow all`), so an allow rule added there (or dropped here) changes nothing.
template <class Rule>
void rule_set(const std::vector<Rule>& o, const std::vector<Rule>& n, Severity sev, Out out,
              bool old_open = false, bool new_open = false) {
  std::map<std::string, const Rule*> om, nm;
  for (const Rule& r : o) om.emplace(ir::describe(r), &r);
  for (const Rule& r : n) nm.emplace(ir::describe(r), &r);
  for (const auto& [text, r] : nm)
    if (!om.count(text)) {
      if (r->deny)
        out.narrow(text + " added", r->loc);
      else if (!old_open)
        out.widen(sev, text + " added", r->loc);
    }
  for (const auto& [text, r] : om)
    if (!nm.count(text)) {
      if (r->deny)
        out.widen(sev, text + " removed", r->loc, true);
      else if (!new_open)
        out.narrow(text + " removed", r->loc, true);
    }
}

void filesystem(const ir::Policy& o, const ir::Policy& n, Out out) {
  const ir::FilesystemPolicy &of = o.filesystem, &nf = n.filesystem;
  if (of.specified && !nf.specified)
    out.widen(Severity::High,
              "no filesystem section: files are no longer confined by AppArmor or Landlock", n.loc);
  if (!of.specified && nf.specified) out.narrow("a filesystem section now confines files", n.loc);
  if (!of.allow_all_files && nf.allow_all_files)
    out.widen(Severity::High, "every file is now allowed (allow all)", nf.allow_all_loc);
  if (of.allow_all_files && !nf.allow_all_files)
    out.narrow("no longer allows every file", of.allow_all_loc, true);
  const bool old_open = !of.specified || of.allow_all_files,
             new_open = !nf.specified || nf.allow_all_files;
  auto om = path_rules(of), nm = path_rules(nf);
  std::set<std::pair<bool, std::string>> keys;
  for (auto& [k, _] : om) keys.insert(k);
  for (auto& [k, _] : nm) keys.insert(k);
  for (const auto& key : keys) {
    const Access a = om.count(key) ? om[key] : Access{}, b = nm.count(key) ? nm[key] : Access{};
    const auto& [deny, pattern] = key;
    const uint32_t gained = b.bits & ~a.bits, lost = a.bits & ~b.bits;
    const auto [loc, removed] =
        where(b.loc, a.loc, deny ? nullptr : n.removal("filesystem", pattern));
    const Severity sev = (deny ? lost : gained) & (ir::kWrite | ir::kAppend | ir::kExec | ir::kLink)
                             ? Severity::Medium
                             : Severity::Low;
    if (!deny) {
      if (gained && !old_open)
        out.widen(sev, pattern + ": " + ir::access_words(gained) + " now allowed", b.loc);
      if (lost && !new_open)
        out.narrow(pattern + ": " + ir::access_words(lost) + " no longer allowed", loc, removed);
      if ((a.bits & b.bits & ir::kExec) && a.exec_mode != b.exec_mode) {
        const std::string text = pattern + ": exec mode " + b.exec_mode + ", was " + a.exec_mode;
        if (b.exec_mode.find_first_of("uU") != std::string::npos)
          out.widen(Severity::Medium, text + " (runs unconfined)", b.loc);
        else
          out.change(text, b.loc);
      }
    } else {
      // With no `allow all`, a path no allow rule names stays refused without its deny.
      if (lost)
        out.widen(new_open ? sev : Severity::Low,
                  "deny " + pattern + ": " + ir::access_words(lost) + " no longer denied", loc,
                  removed);
      if (gained)
        out.narrow("deny " + pattern + ": " + ir::access_words(gained) + " now denied", b.loc);
    }
  }
  rule_set(of.mount_rules, nf.mount_rules, Severity::High, out, old_open, new_open);
  rule_set(of.signal_rules, nf.signal_rules, Severity::Low, out, old_open, new_open);
  rule_set(of.ptrace_rules, nf.ptrace_rules, Severity::High, out, old_open, new_open);
}

// ---- network ----

void network(const ir::Policy& o, const ir::Policy& n, Out out) {
  const ir::NetworkPolicy &on = o.network, &nn = n.network;
  if (on.specified && !nn.specified)
    out.widen(Severity::High,
              "no network section: sockets are no longer confined by AppArmor or Landlock", n.loc);
  if (!on.specified && nn.specified) out.narrow("a network section now confines sockets", n.loc);
  rule_set(on.sockets, nn.sockets, Severity::Medium, out, !on.specified, !nn.specified);
  // Ports: one bit per port and (deny, bind/connect, protocol); runs of changed ports read as
  // ranges.
  using PortKey = std::tuple<bool, int, std::string>;
  std::set<PortKey> keys;
  for (const auto* p : {&on, &nn})
    for (const ir::PortRule& r : p->ports) keys.insert({r.deny, r.kind, r.protocol});
  for (const PortKey& key : keys) {
    const auto& [deny, kind, proto] = key;
    auto covering = [&](const ir::NetworkPolicy& p, unsigned port) -> const ir::PortRule* {
      for (const ir::PortRule& r : p.ports)
        if (PortKey{r.deny, r.kind, r.protocol} == key && r.first <= port && port <= r.last)
          return &r;
      return nullptr;
    };
    const std::string verb = std::string(deny ? "deny " : "") +
                             (kind == ir::PortRule::Bind ? "bind " : "connect ") + proto + " ";
    for (unsigned port = 0; port <= 65535;) {
      const ir::PortRule *a = covering(on, port), *b = covering(nn, port);
      if (!a == !b) {
        ++port;
        continue;
      }
      unsigned last = port;
      while (last < 65535 && !covering(on, last + 1) == !a && !covering(nn, last + 1) == !b) ++last;
      const std::string range =
          verb + std::to_string(port) + (last != port ? "-" + std::to_string(last) : "");
      const bool added = b != nullptr;
      const SourceLoc& loc = added ? b->loc : a->loc;
      if (added != deny)
        out.widen(Severity::Medium, range + (added ? " added" : " removed"), loc, !added);
      else
        out.narrow(range + (added ? " added" : " removed"), loc, !added);
      port = last + 1;
    }
  }
  if (on.scope_abstract_unix && !nn.scope_abstract_unix)
    out.widen(Severity::Low, "abstract Unix sockets outside the container are reachable again",
              n.loc);
  if (!on.scope_abstract_unix && nn.scope_abstract_unix)
    out.narrow("abstract Unix sockets outside the container are now out of reach", n.loc);
  if (on.scope_signals && !nn.scope_signals)
    out.widen(Severity::Low, "signals to processes outside the container are allowed again", n.loc);
  if (!on.scope_signals && nn.scope_signals)
    out.narrow("signals to processes outside the container are now refused", n.loc);
}

// ---- namespaces ----

struct Sharing {
  int rank = 0;  // 2 its own, 1 joined, 0 the host's
  std::string text;
  SourceLoc loc;
};

Sharing sharing(const ir::NamespacePlan& plan, ir::NamespaceKind kind) {
  for (const ir::NamespaceSpec& s : plan.namespaces)
    if (s.kind == kind) {
      if (s.creates()) return {2, "its own", s.loc};
      return {1, "joined " + (s.container.empty() ? s.join_path : "container " + s.container),
              s.loc};
    }
  return {0, "the host's", {}};
}

void namespaces(const ir::Policy& o, const ir::Policy& n, Out out) {
  for (int k = static_cast<int>(ir::NamespaceKind::Mount);
       k <= static_cast<int>(ir::NamespaceKind::Time); ++k) {
    const auto kind = static_cast<ir::NamespaceKind>(k);
    const Sharing a = sharing(o.namespaces, kind), b = sharing(n.namespaces, kind);
    if (a.text == b.text) continue;
    const std::string text =
        std::string(ir::namespace_name(kind)) + " namespace: now " + b.text + ", was " + a.text;
    const auto [loc, removed] =
        where(b.loc, a.loc, n.removal("namespaces", ir::namespace_name(kind)));
    const bool minor = kind == ir::NamespaceKind::Uts || kind == ir::NamespaceKind::Cgroup ||
                       kind == ir::NamespaceKind::Time;
    if (b.rank < a.rank)
      out.widen(minor         ? Severity::Low
                : b.rank == 0 ? Severity::High
                              : Severity::Medium,
                text, loc, removed);
    else if (b.rank > a.rank)
      out.narrow(text, loc, removed);
    else
      out.widen(Severity::Low, text + " (another namespace: counted as a widening)", loc, removed);
  }
  auto map_text = [](const std::vector<ir::IdMap>& m) {
    std::string s;
    for (const ir::IdMap& e : m)
      s += (s.empty() ? "" : ", ") + std::to_string(e.inside) + "->" + std::to_string(e.outside) +
           "+" + std::to_string(e.count);
    return s.empty() ? std::string("none") : s;
  };
  for (auto [name, om, nm] :
       {std::make_tuple("uid", &o.namespaces.uid_map, &n.namespaces.uid_map),
        std::make_tuple("gid", &o.namespaces.gid_map, &n.namespaces.gid_map)}) {
    const std::string a = map_text(*om), b = map_text(*nm);
    if (a != b)
      out.widen(Severity::Medium,
                std::string(name) + " map: now " + b + ", was " + a +
                    " (other host ids: counted as a widening)",
                n.loc);
  }
}

// ---- resources and devices ----

template <class T>
void limit(const char* what, const std::optional<T>& a, const std::optional<T>& b,
           Severity removed_sev, const SourceLoc& loc, const SourceLoc& old_loc, Out out) {
  auto text = [](const std::optional<T>& v) {
    return v ? std::to_string(*v) : std::string("none");
  };
  if (a == b) return;
  const std::string s = std::string(what) + ": now " + text(b) + ", was " + text(a);
  if (a && !b)
    out.widen(removed_sev, s + " (limit removed)", old_loc, true);
  else if (!a && b)
    out.narrow(s, loc);
  else if (*b > *a)
    out.widen(Severity::Low, s + " (raised)", loc);
  else
    out.narrow(s, loc);
}

std::string device_text(char type, int64_t major, int64_t minor) {
  auto num = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  return std::string(1, type) + " " + num(major) + ":" + num(minor);
}

std::string device_access(uint8_t bits) {
  std::string s;
  if (bits & ir::DeviceRule::Read) s += 'r';
  if (bits & ir::DeviceRule::Write) s += 'w';
  if (bits & ir::DeviceRule::Mknod) s += 'm';
  return s;
}

void resources(const ir::Policy& o, const ir::Policy& n, Out out) {
  const ir::ResourceLimits &a = o.resources, &b = n.resources;
  const SourceLoc &loc = b.loc, &old_loc = a.loc;
  limit("memory (bytes)", a.memory_bytes, b.memory_bytes, Severity::Medium, loc, old_loc, out);
  limit("memory+swap (bytes)", a.memory_swap_bytes, b.memory_swap_bytes, Severity::Low, loc,
        old_loc, out);
  limit("pids", a.pids, b.pids, Severity::Medium, loc, old_loc, out);
  limit("cpu.shares", a.cpu_shares, b.cpu_shares, Severity::Low, loc, old_loc, out);
  limit("cpu.weight", a.cpu_weight, b.cpu_weight, Severity::Low, loc, old_loc, out);
  limit("cpu quota (us)", a.cpu_quota_us, b.cpu_quota_us, Severity::Low, loc, old_loc, out);
  limit("cpu period (us)", a.cpu_period_us, b.cpu_period_us, Severity::Low, loc, old_loc, out);
  if (a.cpuset_cpus != b.cpuset_cpus)
    out.change("cpuset.cpus: now " + b.cpuset_cpus.value_or("any") + ", was " +
                   a.cpuset_cpus.value_or("any"),
               loc);
  if (a.cpuset_mems != b.cpuset_mems)
    out.change("cpuset.mems: now " + b.cpuset_mems.value_or("any") + ", was " +
                   a.cpuset_mems.value_or("any"),
               loc);

  Out dev{out.changes, "devices"};
  using DevKey = std::tuple<char, int64_t, int64_t>;
  std::map<DevKey, std::pair<uint8_t, SourceLoc>> om, nm;
  for (const ir::DeviceRule& r : a.devices.rules) {
    auto& e = om[{static_cast<char>(r.type), r.major, r.minor}];
    e.first |= r.access;
    if (!e.second.known()) e.second = r.loc;
  }
  for (const ir::DeviceRule& r : b.devices.rules) {
    auto& e = nm[{static_cast<char>(r.type), r.major, r.minor}];
    e.first |= r.access;
    if (!e.second.known()) e.second = r.loc;
  }
  std::set<DevKey> keys;
  for (auto& [k, _] : om) keys.insert(k);
  for (auto& [k, _] : nm) keys.insert(k);
  for (const DevKey& k : keys) {
    const auto x = om.count(k) ? om[k] : std::pair<uint8_t, SourceLoc>{},
               y = nm.count(k) ? nm[k] : std::pair<uint8_t, SourceLoc>{};
    const uint8_t gained = y.first & ~x.first, lost = x.first & ~y.first;
    const std::string dev_name = device_text(std::get<0>(k), std::get<1>(k), std::get<2>(k));
    const SourceLoc& dloc = y.second.known() ? y.second : b.loc;
    if (gained)
      dev.widen(std::get<0>(k) == 'a' || std::get<0>(k) == 'b' ? Severity::High : Severity::Medium,
                "device " + dev_name + ": " + device_access(gained) + " now allowed", dloc);
    if (lost)
      dev.narrow("device " + dev_name + ": " + device_access(lost) + " no longer allowed",
                 x.second.known() ? x.second : dloc, x.second.known());
  }
}

// ---- process ----

std::string user_text(const ir::ProcessPlan& p) {
  if (p.uid) return std::to_string(*p.uid) + (p.gid ? ":" + std::to_string(*p.gid) : "");
  if (p.user) return *p.user;
  return "the image's user";
}

void process(const ir::Policy& o, const ir::Policy& n, Out out) {
  const ir::ProcessPlan &a = o.process, &b = n.process;
  if (a.no_new_privileges && !b.no_new_privileges)
    out.widen(Severity::High,
              "no_new_privileges off: setuid programs and file capabilities raise privileges again",
              b.loc);
  if (!a.no_new_privileges && b.no_new_privileges) out.narrow("no_new_privileges on", b.loc);
  const std::string ua = user_text(a), ub = user_text(b);
  if (ua != ub) {
    const std::string text = "user: now " + ub + ", was " + ua;
    const bool b_root = b.uid && *b.uid == 0, a_root = a.uid && *a.uid == 0;
    const bool a_named = a.uid || a.user, b_named = b.uid || b.user;
    if (b_root)
      out.widen(Severity::High, text + " (root)", b.loc);
    else if (!b_named && a_named && !a_root)
      out.widen(Severity::Medium, text + " (may be root)", b.loc);
    else if (b_named && (a_root || !a_named))
      out.narrow(text, b.loc);
    else
      out.widen(Severity::Low, text + " (another identity: counted as a widening)", b.loc);
  }
  for (uint32_t g : b.supplementary_groups)
    if (std::find(a.supplementary_groups.begin(), a.supplementary_groups.end(), g) ==
        a.supplementary_groups.end())
      out.widen(Severity::Low, "supplementary group " + std::to_string(g) + " added", b.loc);
  for (uint32_t g : a.supplementary_groups)
    if (std::find(b.supplementary_groups.begin(), b.supplementary_groups.end(), g) ==
        b.supplementary_groups.end())
      out.narrow("supplementary group " + std::to_string(g) + " removed", b.loc);
  std::map<int, const ir::Rlimit*> ra, rb;
  for (const ir::Rlimit& r : a.rlimits) ra[r.resource] = &r;
  for (const ir::Rlimit& r : b.rlimits) rb[r.resource] = &r;
  std::set<int> keys;
  for (auto& [k, _] : ra) keys.insert(k);
  for (auto& [k, _] : rb) keys.insert(k);
  for (int k : keys) {
    const ir::Rlimit *x = ra.count(k) ? ra[k] : nullptr, *y = rb.count(k) ? rb[k] : nullptr;
    const std::string name = "rlimit " + named_value("RLIMIT_", static_cast<uint64_t>(k));
    if (x && !y)
      out.widen(Severity::Low, name + " removed", x->loc, true);
    else if (!x && y)
      out.narrow(name + " added", y->loc);
    else if (x->soft != y->soft || x->hard != y->hard) {
      const std::string text = name + ": now " + std::to_string(y->soft) + "/" +
                               std::to_string(y->hard) + ", was " + std::to_string(x->soft) + "/" +
                               std::to_string(x->hard);
      if (y->soft > x->soft || y->hard > x->hard)
        out.widen(Severity::Low, text, y->loc);
      else
        out.narrow(text, y->loc);
    }
  }
}

// ---- root filesystem ----

bool read_only(const ir::MountSpec& m) {
  return std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
}

std::string mount_text(const ir::MountSpec& m) {
  std::string s = ir::mount_kind_name(m.kind);
  if (m.kind == ir::MountSpec::Bind) s += " " + m.source;
  s += " " + m.target;
  for (const std::string& opt : m.options) s += " " + opt;
  return s;
}

void paths_list(const char* what, const std::vector<std::string>& a,
                const std::vector<std::string>& b, Severity sev, const SourceLoc& loc, Out out) {
  for (const std::string& p : a)
    if (std::find(b.begin(), b.end(), p) == b.end()) out.widen(sev, p + " no longer " + what, loc);
  for (const std::string& p : b)
    if (std::find(a.begin(), a.end(), p) == a.end()) out.narrow(p + " now " + what, loc);
}

void rootfs(const ir::Policy& o, const ir::Policy& n, Out out) {
  const ir::RootfsPlan &a = o.rootfs, &b = n.rootfs;
  if (a.readonly && !b.readonly)
    out.widen(Severity::Medium, "the root filesystem is now writable", b.loc);
  if (!a.readonly && b.readonly) out.narrow("the root filesystem is now read-only", b.loc);
  if (!a.use_chroot && b.use_chroot)
    out.widen(Severity::Medium, "chroot instead of pivot_root (a chroot can be escaped)", b.loc);
  if (a.use_chroot && !b.use_chroot) out.narrow("pivot_root instead of chroot", b.loc);
  if (a.nosuid && !b.nosuid) out.widen(Severity::Low, "the root is no longer nosuid", b.loc);
  if (!a.nosuid && b.nosuid) out.narrow("the root is now nosuid", b.loc);
  if (a.nodev && !b.nodev) out.widen(Severity::Low, "the root is no longer nodev", b.loc);
  if (!a.nodev && b.nodev) out.narrow("the root is now nodev", b.loc);
  std::map<std::string, const ir::MountSpec*> ma, mb;
  for (const ir::MountSpec& m : a.mounts) ma[m.target] = &m;
  for (const ir::MountSpec& m : b.mounts) mb[m.target] = &m;
  auto added_severity = [](const ir::MountSpec& m) {
    if (m.kind == ir::MountSpec::Bind) return read_only(m) ? Severity::Medium : Severity::High;
    return m.kind == ir::MountSpec::Tmpfs ? Severity::Low : Severity::Medium;
  };
  for (const auto& [target, m] : mb) {
    auto it = ma.find(target);
    if (it == ma.end()) {
      out.widen(added_severity(*m), "mount " + mount_text(*m) + " added", m->loc);
      continue;
    }
    const ir::MountSpec& old = *it->second;
    if (old.kind != m->kind || old.source != m->source) {
      out.widen(added_severity(*m), "mount " + mount_text(*m) + " replaces " + mount_text(old),
                m->loc);
    } else if (read_only(old) && !read_only(*m)) {
      out.widen(m->kind == ir::MountSpec::Bind ? Severity::High : Severity::Low,
                "mount " + mount_text(*m) + " is now writable, was " + mount_text(old), m->loc);
    } else if (!read_only(old) && read_only(*m)) {
      out.narrow("mount " + mount_text(*m) + " is now read-only", m->loc);
    } else if (old.options != m->options) {
      out.change("mount " + mount_text(*m) + ", was " + mount_text(old), m->loc);
    }
  }
  for (const auto& [target, m] : ma)
    if (!mb.count(target)) {
      const auto [loc, removed] = where({}, m->loc, n.removal("rootfs", target));
      out.narrow("mount " + mount_text(*m) + " removed", loc, removed);
    }
  paths_list("masked", a.masked_paths, b.masked_paths, Severity::Medium, b.loc, out);
  paths_list("read-only", a.readonly_paths, b.readonly_paths, Severity::Medium, b.loc, out);
}

// ---- sysctls ----

void sysctls(const ir::Policy& o, const ir::Policy& n, Out out) {
  std::map<std::string, const ir::Sysctl*> a, b;
  for (const ir::Sysctl& s : o.sysctls) a[s.key] = &s;
  for (const ir::Sysctl& s : n.sysctls) b[s.key] = &s;
  for (const auto& [key, s] : b) {
    auto it = a.find(key);
    if (it == a.end())
      out.widen(Severity::Low, key + " = " + s->value + " added (counted as a widening)", s->loc);
    else if (it->second->value != s->value)
      out.widen(Severity::Low,
                key + " = " + s->value + ", was " + it->second->value + " (counted as a widening)",
                s->loc);
  }
  for (const auto& [key, s] : a)
    if (!b.count(key)) out.narrow(key + " no longer set (the namespace's default)", s->loc, true);
}

// ---- LSM layers ----

// Every policy has an AppArmor profile (policyrun loads it wherever AppArmor is on), made of the
// filesystem and network rules compared above: only its name is left to compare.
void lsm(const ir::Policy& o, const ir::Policy& n, Out out) {
  const std::string pa = apparmor::profile_name(o), pb = apparmor::profile_name(n);
  if (pa != pb) out.change("AppArmor profile: now " + pb + ", was " + pa, n.loc);
  const landlock::Ruleset a = landlock::compile_ruleset(o, landlock::kLatestKnownAbi),
                          b = landlock::compile_ruleset(n, landlock::kLatestKnownAbi);
  if (a.restricts() && !b.restricts())
    out.widen(Severity::Medium, "no Landlock ruleset any more", n.loc);
  if (!a.restricts() && b.restricts()) out.narrow("a Landlock ruleset is now applied", n.loc);
  if (a.restricts() && b.restricts()) {
    if (a.handled_fs & ~b.handled_fs)
      out.widen(
          Severity::Medium,
          "Landlock no longer restricts " + landlock::fs_access_names(a.handled_fs & ~b.handled_fs),
          n.loc);
    if (b.handled_fs & ~a.handled_fs)
      out.narrow(
          "Landlock now restricts " + landlock::fs_access_names(b.handled_fs & ~a.handled_fs),
          n.loc);
    if (a.handled_net && !b.handled_net)
      out.widen(Severity::Medium, "Landlock no longer restricts TCP ports", n.loc);
    if (!a.handled_net && b.handled_net) out.narrow("Landlock now restricts TCP ports", n.loc);
  }
}

}  // namespace

std::vector<Change> layer_changes(const ir::Policy& o, const ir::Policy& n) {
  std::vector<Change> out;
  capabilities(o, n, {out, "capabilities"});
  filesystem(o, n, {out, "filesystem"});
  network(o, n, {out, "network"});
  namespaces(o, n, {out, "namespaces"});
  resources(o, n, {out, "resources"});
  process(o, n, {out, "process"});
  rootfs(o, n, {out, "rootfs"});
  sysctls(o, n, {out, "sysctls"});
  lsm(o, n, {out, "lsm"});
  return out;
}

}  // namespace policy::review
