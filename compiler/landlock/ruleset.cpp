#include "compiler/landlock/ruleset.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "compiler/common/json_text.hpp"
#include "compiler/ir/describe.hpp"
#include "compiler/ir/path_variables.hpp"
#include "compiler/landlock/abi.hpp"

namespace policy::landlock {
namespace {

constexpr const char* kLayer = "landlock";

bool is_glob_char(char c) {
  return c == '*' || c == '?' || c == '[' || c == '{' || c == '}';
}

const char* abi_kernel(int abi) {
  switch (abi) {
    case 1:
      return "5.13";
    case 2:
      return "5.19";
    case 3:
      return "6.2";
    case 4:
      return "6.7";
    case 5:
      return "6.10";
    case 6:
      return "6.12";
    default:
      return "6.15";
  }
}

std::string needs_abi(int need, int have) {
  return "needs Landlock ABI " + std::to_string(need) + " (Linux " + abi_kernel(need) +
         "); compiled for ABI " + std::to_string(have);
}

bool under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

struct Interval {
  uint32_t first, last;
};

// Sorted, merged union of intervals.
std::vector<Interval> normalize(std::vector<Interval> v) {
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<Interval> out;
  for (auto& i : v) {
    if (!out.empty() && i.first <= out.back().last + 1)
      out.back().last = std::max(out.back().last, i.last);
    else
      out.push_back(i);
  }
  return out;
}

std::vector<Interval> subtract(const std::vector<Interval>& a, const std::vector<Interval>& b) {
  std::vector<Interval> out;
  for (auto i : a) {
    std::vector<Interval> pieces{i};
    for (auto& d : b) {
      std::vector<Interval> next;
      for (auto& p : pieces) {
        if (d.last < p.first || d.first > p.last) {
          next.push_back(p);
          continue;
        }
        if (d.first > p.first) next.push_back({p.first, d.first - 1});
        if (d.last < p.last) next.push_back({d.last + 1, p.last});
      }
      pieces = std::move(next);
    }
    out.insert(out.end(), pieces.begin(), pieces.end());
  }
  return normalize(out);
}

class Compiler {
 public:
  Compiler(const ir::Policy& p, int abi) : p_(p) { rs_.abi = std::clamp(abi, 1, kLatestKnownAbi); }

  Ruleset run() {
    filesystem();
    network();
    return std::move(rs_);
  }

 private:
  void cover(const SourceLoc& loc, std::string rule, Enforcement e, std::string why = {}) {
    rs_.coverage.push_back({loc, std::move(rule), kLayer, e, std::move(why)});
  }

  // IR access bits -> Landlock rights at this ABI, and what could not be expressed.
  uint64_t rights(uint32_t access, std::vector<std::string>& lossy) const {
    int abi = rs_.abi;
    uint64_t r = 0;
    if (access & (ir::kRead | ir::kWrite | ir::kAppend)) r |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    if (access & ir::kRead) r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
    if (access & ir::kWrite)
      r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
           LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
           LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
           LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
           LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |
           LANDLOCK_ACCESS_FS_TRUNCATE;
    if ((access & ir::kAppend) && !(access & ir::kWrite)) {
      r |= LANDLOCK_ACCESS_FS_WRITE_FILE;
      lossy.push_back("append is granted as write (Landlock cannot tell them apart)");
    }
    // execve() opens the file for reading as well (open_exec: FMODE_READ|FMODE_EXEC), and Landlock
    // checks READ_FILE on that open: an exec rule without it could never succeed.
    if (access & ir::kExec) r |= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE;
    if ((access & ir::kExec) && !(access & ir::kRead))
      lossy.push_back("exec also grants reading the file (Landlock checks read_file on execve)");
    if (access & ir::kLink) {
      r |= LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_MAKE_REG;
      lossy.push_back("link is granted as creating files and reparenting (refer)");
    }
    // The kernel opens a program's ELF interpreter (ld.so) as it opens the program, checking
    // EXECUTE: `map` (AppArmor's m, what ld.so and libraries need) is granted as execute.
    if (access & ir::kMap) {
      r |= LANDLOCK_ACCESS_FS_EXECUTE;
      lossy.push_back(
          "Landlock does not mediate mmap(PROT_EXEC): map is granted as execute (the kernel "
          "checks execute when it loads ld.so)");
    }
    if (access & ir::kLock) lossy.push_back("Landlock does not mediate file locks");
    if ((access & ir::kWrite) && abi < 3)
      lossy.push_back("truncate(2) outside the write paths is not restricted below ABI 3");
    if ((access & ir::kWrite) && abi < 2)
      lossy.push_back("renames and links across directories are always refused below ABI 2");
    return r & fs_rights(abi);
  }

  void filesystem() {
    const auto& fs = p_.filesystem;
    bool restricts = fs.specified && !fs.allow_all_files;
    if (restricts) rs_.handled_fs = fs_rights(rs_.abi);
    if (fs.allow_all_files)
      cover(fs.allow_all_loc, "allow all", Enforcement::Enforced,
            "");  // Landlock then leaves files alone; AppArmor's denies decide
    // allow rules first: deny rules are judged against them
    for (auto& r : fs.rules) {
      if (r.deny || !restricts) continue;
      std::vector<std::string> lossy;
      uint64_t access = rights(r.access, lossy);
      PatternBase base = pattern_base(r.pattern);
      if (!base.exact)
        lossy.insert(lossy.begin(), "Landlock cannot match globs: grants " +
                                        apparmor_access(r.access) + " on all of " + base.path);
      if (access) rs_.paths.push_back({base.path, access, r.loc, describe(r)});
      std::string why;
      for (auto& l : lossy) why += (why.empty() ? "" : "; ") + l;
      cover(r.loc, describe(r), lossy.empty() ? Enforcement::Enforced : Enforcement::Partial, why);
    }
    for (auto& r : fs.rules) {
      if (!r.deny && restricts) continue;
      if (!r.deny) {
        cover(r.loc, describe(r), Enforcement::Enforced, "");
        continue;
      }
      if (!restricts) {
        cover(r.loc, describe(r), Enforcement::NotEnforced,
              std::string("Landlock is allow-only and this policy allows ") +
                  (fs.allow_all_files ? "all files (allow all)"
                                      : "every file (no filesystem section)") +
                  ": the deny is left to AppArmor");
        continue;
      }
      judge_deny(r);
    }
    for (auto& m : fs.mount_rules) {
      bool blocks = restricts;  // a sandbox that handles file access may not change its mounts
      if (m.deny)
        cover(m.loc, describe(m), blocks ? Enforcement::Enforced : Enforcement::NotEnforced,
              blocks ? "" : "Landlock forbids mount changes only when it restricts files");
      else
        cover(m.loc, describe(m), blocks ? Enforcement::NotEnforced : Enforcement::Enforced,
              blocks ? "Landlock forbids every mount, umount and pivot_root in a sandbox that "
                       "restricts files: this allowance does not hold"
                     : "");
    }
    for (auto& s : fs.signal_rules) {
      bool scoped = p_.network.scope_signals && rs_.abi >= 6;
      cover(s.loc, describe(s), scoped ? Enforcement::Partial : Enforcement::NotEnforced,
            scoped ? "`scope signals` keeps signals inside the sandbox; Landlock names no peers"
                   : "Landlock has no signal rules by peer (ABI 6 `scope signals` only confines "
                     "signals to the sandbox)");
    }
    for (auto& t : fs.ptrace_rules)
      cover(t.loc, describe(t), Enforcement::Partial,
            "Landlock always forbids tracing processes outside the sandbox; it names no peers");
  }

  void judge_deny(const ir::PathRule& d) {
    std::vector<std::string> lossy;
    uint64_t denied = rights(d.access, lossy);
    PatternBase base = pattern_base(d.pattern);
    for (auto& g : rs_.paths) {
      if (!(g.access & denied)) continue;
      if (under(base.path, g.path)) {
        cover(d.loc, describe(d), Enforcement::NotEnforced,
              "Landlock is allow-only: " + base.path + " lies inside " + g.path + ", allowed by `" +
                  g.rule + "`" + (g.loc.known() ? " at " + g.loc.str() : "") +
                  "; the deny is left to AppArmor");
        return;
      }
    }
    for (auto& g : rs_.paths) {
      if ((g.access & denied) && under(g.path, base.path)) {
        cover(d.loc, describe(d), Enforcement::Partial,
              "Landlock refuses it except inside " + g.path + ", allowed by `" + g.rule + "`");
        return;
      }
    }
    cover(d.loc, describe(d), Enforcement::Enforced,
          "");  // no allow rule reaches it: Landlock's default denial covers it
  }

  static std::string apparmor_access(uint32_t access) { return ir::access_words(access); }

  void network() {
    const auto& net = p_.network;
    for (auto& s : net.sockets)
      cover(s.loc, describe(s), Enforcement::NotEnforced,
            "Landlock does not restrict socket families or types (seccomp's socket() rules and "
            "AppArmor do)");
    for (auto kind : {ir::PortRule::Bind, ir::PortRule::Connect}) {
      uint64_t bit = kind == ir::PortRule::Bind ? LANDLOCK_ACCESS_NET_BIND_TCP
                                                : LANDLOCK_ACCESS_NET_CONNECT_TCP;
      std::vector<Interval> allow, deny;
      bool any = false, any_allow = false;
      for (auto& r : net.ports) {
        if (r.kind != kind) continue;
        if (r.protocol != "tcp") {
          cover(r.loc, describe(r), Enforcement::NotEnforced, "Landlock restricts TCP ports only");
          continue;
        }
        if (rs_.abi < 4) {
          cover(r.loc, describe(r), Enforcement::NotEnforced, needs_abi(4, rs_.abi));
          continue;
        }
        any = true;
        (r.deny ? deny : allow).push_back({r.first, std::max(r.first, r.last)});
        any_allow |= !r.deny;
        cover(r.loc, describe(r), Enforcement::Enforced, "");
      }
      if (!any) continue;
      rs_.handled_net |= bit;
      // only deny rules: every other port stays allowed
      std::vector<Interval> allowed =
          any_allow ? normalize(allow) : std::vector<Interval>{{0, 65535}};
      for (auto& i : subtract(allowed, normalize(deny)))
        rs_.ports.push_back({bit, static_cast<uint16_t>(i.first), static_cast<uint16_t>(i.last)});
    }
    auto scope = [&](bool on, uint64_t bit, const char* name) {
      if (!on) return;
      if (rs_.abi >= 6) {
        rs_.scoped |= bit;
        cover({}, name, Enforcement::Enforced, "");
      } else {
        cover({}, name, Enforcement::NotEnforced, needs_abi(6, rs_.abi));
      }
    };
    scope(net.scope_abstract_unix, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, "scope abstract-unix");
    scope(net.scope_signals, LANDLOCK_SCOPE_SIGNAL, "scope signals");
  }

  const ir::Policy& p_;
  Ruleset rs_;
};

}  // namespace

size_t Ruleset::port_rule_count() const {
  size_t n = 0;
  for (auto& p : ports) n += static_cast<size_t>(p.last) - p.first + 1;
  return n;
}

PatternBase pattern_base(const std::string& pattern) {
  std::string p = ir::expand_variables(pattern);
  size_t glob = std::string::npos;
  for (size_t i = 0; i < p.size(); ++i)
    if (is_glob_char(p[i])) {
      glob = i;
      break;
    }
  if (glob == std::string::npos) {
    std::string path = p.size() > 1 && p.back() == '/' ? p.substr(0, p.size() - 1) : p;
    return {path.empty() ? "/" : path, true};
  }
  // "/dir/**" (or "/**"): exactly the directory and everything beneath it
  if (glob + 2 == p.size() && p.compare(glob, 2, "**") == 0 && glob > 0 && p[glob - 1] == '/') {
    std::string dir = p.substr(0, glob - 1);
    return {dir.empty() ? "/" : dir, true};
  }
  size_t slash = p.rfind('/', glob);
  std::string dir = slash == std::string::npos || slash == 0 ? "/" : p.substr(0, slash);
  return {dir, false};
}

std::string fs_access_names(uint64_t access) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {LANDLOCK_ACCESS_FS_EXECUTE, "execute"},
      {LANDLOCK_ACCESS_FS_WRITE_FILE, "write_file"},
      {LANDLOCK_ACCESS_FS_READ_FILE, "read_file"},
      {LANDLOCK_ACCESS_FS_READ_DIR, "read_dir"},
      {LANDLOCK_ACCESS_FS_REMOVE_DIR, "remove_dir"},
      {LANDLOCK_ACCESS_FS_REMOVE_FILE, "remove_file"},
      {LANDLOCK_ACCESS_FS_MAKE_CHAR, "make_char"},
      {LANDLOCK_ACCESS_FS_MAKE_DIR, "make_dir"},
      {LANDLOCK_ACCESS_FS_MAKE_REG, "make_reg"},
      {LANDLOCK_ACCESS_FS_MAKE_SOCK, "make_sock"},
      {LANDLOCK_ACCESS_FS_MAKE_FIFO, "make_fifo"},
      {LANDLOCK_ACCESS_FS_MAKE_BLOCK, "make_block"},
      {LANDLOCK_ACCESS_FS_MAKE_SYM, "make_sym"},
      {LANDLOCK_ACCESS_FS_REFER, "refer"},
      {LANDLOCK_ACCESS_FS_TRUNCATE, "truncate"},
      {LANDLOCK_ACCESS_FS_IOCTL_DEV, "ioctl_dev"}};
  std::string out;
  for (auto& [bit, name] : kNames)
    if (access & bit) out += (out.empty() ? "" : "|") + std::string(name);
  return out;
}

Ruleset compile_ruleset(const ir::Policy& policy, int abi) {
  if (abi >= 1) return Compiler(policy, abi).run();
  // No Landlock: nothing is handled, and every rule says so.
  Ruleset none = Compiler(policy, 1).run();
  Ruleset rs;
  for (auto& c : none.coverage)
    rs.coverage.push_back(
        {c.loc, c.rule, c.layer, Enforcement::NotEnforced, "the target kernel has no Landlock"});
  return rs;
}

std::vector<RuleCoverage> landlock_coverage(const ir::Policy& policy, int abi) {
  return compile_ruleset(policy, abi).coverage;
}

std::string ruleset_json(const Ruleset& rs) {
  nlohmann::ordered_json j;
  j["abi"] = rs.abi;
  j["handled_access_fs"] = fs_access_names(rs.handled_fs);
  std::string net;
  if (rs.handled_net & LANDLOCK_ACCESS_NET_BIND_TCP) net = "bind_tcp";
  if (rs.handled_net & LANDLOCK_ACCESS_NET_CONNECT_TCP)
    net += net.empty() ? "connect_tcp" : "|connect_tcp";
  j["handled_access_net"] = net;
  std::string sc;
  if (rs.scoped & LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET) sc = "abstract_unix_socket";
  if (rs.scoped & LANDLOCK_SCOPE_SIGNAL) sc += sc.empty() ? "signal" : "|signal";
  j["scoped"] = sc;
  j["path_beneath"] = nlohmann::ordered_json::array();
  for (auto& g : rs.paths) {
    nlohmann::ordered_json e;
    e["path"] = g.path;
    e["allowed_access"] = fs_access_names(g.access);
    e["rule"] = g.rule;
    if (g.loc.known()) e["from"] = g.loc.str();
    j["path_beneath"].push_back(e);
  }
  j["net_port"] = nlohmann::ordered_json::array();
  for (auto& p : rs.ports) {
    nlohmann::ordered_json e;
    e["allowed_access"] = p.access == LANDLOCK_ACCESS_NET_BIND_TCP ? "bind_tcp" : "connect_tcp";
    e["ports"] = p.first == p.last ? std::to_string(p.first)
                                   : std::to_string(p.first) + "-" + std::to_string(p.last);
    j["net_port"].push_back(e);
  }
  return json_text(j, "the Landlock ruleset");
}

}  // namespace policy::landlock
