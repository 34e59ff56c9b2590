// The filesystem, network, namespaces, resources, process, rootfs, devices and sysctl sections ->
// IR. Each apply_* adds one policy's section on top of what its bases gave (docs/language.md,
// "extends").
#include <sys/resource.h>

#include <algorithm>
#include <cctype>

#include "compiler/common/names.hpp"
#include "compiler/frontend/resolve.hpp"
#include "compiler/ir/apparmor_perms.hpp"

namespace policy::frontend {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::optional<uint64_t> number(const ast::Token& t, DiagnosticEngine& diags,
                               uint64_t max = UINT64_MAX) {
  auto v = parse_integer(t.text);
  if (!v || *v > max) {
    diags.error(t.loc, "'" + t.text + "' is out of range (0.." + std::to_string(max) + ")");
    return std::nullopt;
  }
  return v;
}

// 256M, 64K, 1G, 4096 (suffixes are powers of 1024)
std::optional<uint64_t> size(const ast::Token& t, DiagnosticEngine& diags) {
  std::string digits = t.text;
  unsigned shift = 0;
  if (!digits.empty() && std::isalpha(static_cast<unsigned char>(digits.back())) &&
      !(digits.size() > 2 && (digits[1] == 'x' || digits[1] == 'X'))) {
    char s = static_cast<char>(std::toupper(static_cast<unsigned char>(digits.back())));
    shift = s == 'K' ? 10 : s == 'M' ? 20 : s == 'G' ? 30 : 40;
    digits.pop_back();
  }
  auto v = parse_integer(digits);
  if (!v || (shift && *v > (UINT64_MAX >> shift))) {
    diags.error(t.loc, "size '" + t.text + "' does not fit in 64 bits");
    return std::nullopt;
  }
  return *v << shift;
}

// 50ms, 100ms, 1s, 500us, 1.5s -> microseconds
std::optional<uint64_t> duration_us(const ast::Token& t, DiagnosticEngine& diags) {
  size_t unit = t.text.find_first_not_of("0123456789.");
  double v = std::stod(t.text.substr(0, unit));
  std::string u = t.text.substr(unit);
  double us = u == "us" ? v : u == "ms" ? v * 1e3 : v * 1e6;
  if (us < 1 || us > 1e15) {
    diags.error(t.loc, "duration '" + t.text + "' is out of range (1us and more)");
    return std::nullopt;
  }
  return static_cast<uint64_t>(us + 0.5);  // us >= 1: rounds half up, as llround (no libm)
}

bool check_word(const ast::Token& t, const std::vector<std::string>& allowed,
                const std::string& what, DiagnosticEngine& diags) {
  if (std::find(allowed.begin(), allowed.end(), t.text) != allowed.end()) return true;
  diags.error(t.loc, unknown_message(what, t.text, allowed));
  return false;
}

}  // namespace

bool check_path(const ast::Token& t, DiagnosticEngine& diags) {
  if (t.text.rfind('/', 0) == 0 || t.text.rfind("@{", 0) == 0) return true;
  diags.error(t.loc, "path '" + t.text + "' must be absolute (start with '/' or '@{')");
  return false;
}

void apply_filesystem(const ast::FilesystemSection& s, ir::FilesystemPolicy& out,
                      DiagnosticEngine& diags) {
  out.specified = true;
  static const std::vector<std::pair<std::string, uint32_t>> kWords = {
      {"read", ir::kRead}, {"write", ir::kWrite}, {"append", ir::kAppend}, {"exec", ir::kExec},
      {"map", ir::kMap},   {"link", ir::kLink},   {"lock", ir::kLock}};
  for (const ast::FsItem& item : s.items) {
    switch (item.kind) {
      case ast::FsItem::AllowAll:
        out.allow_all_files = true;
        break;
      case ast::FsItem::Mount:
      case ast::FsItem::Umount:
        out.mount_rules.push_back(
            {item.deny, item.kind == ast::FsItem::Mount ? "mount" : "umount", item.text, item.loc});
        break;
      case ast::FsItem::Signal:
      case ast::FsItem::Ptrace: {
        bool sig = item.kind == ast::FsItem::Signal;
        std::vector<std::string> allowed =
            sig ? std::vector<std::string>{"send", "receive"}
                : std::vector<std::string>{"trace", "tracedby", "read", "readby"};
        std::vector<std::string> perms;
        for (const ast::Token& p : item.perms)
          if (check_word(p, allowed, sig ? "signal permission" : "ptrace permission", diags))
            perms.push_back(p.text);
        std::string peer = item.peer ? item.peer->text : "";
        if (sig)
          out.signal_rules.push_back({item.deny, perms, peer, item.loc});
        else
          out.ptrace_rules.push_back({item.deny, perms, peer, item.loc});
        break;
      }
      case ast::FsItem::Access: {
        uint32_t access = 0;
        std::string exec_mode;
        for (const ast::Token& w : item.access) {
          auto it = std::find_if(kWords.begin(), kWords.end(),
                                 [&](auto& p) { return p.first == w.text; });
          if (it != kWords.end()) {
            access |= it->second;
            // `exec` means ix; a deny rule refuses every exec and has no mode.
            if (it->second == ir::kExec && exec_mode.empty() && !item.deny) exec_mode = "ix";
            continue;
          }
          // AppArmor letters, as apparmor_parser reads them (ir/apparmor_perms.hpp).
          if (!ir::looks_like_apparmor_permissions(w.text)) {
            std::vector<std::string> cands;
            for (auto& [n, _] : kWords) cands.push_back(n);
            diags.error(w.loc, unknown_message("file access", w.text, cands) +
                                   " (or AppArmor letters such as rwklx)");
            continue;
          }
          ir::AppArmorPermissions perms = ir::parse_apparmor_permissions(w.text, item.deny);
          if (!perms.ok()) {
            diags.error(w.loc, "file access '" + w.text + "': " + perms.error);
            continue;
          }
          access |= perms.access;
          if (!perms.exec_mode.empty()) exec_mode = perms.exec_mode;
        }
        for (const ast::Token& p : item.paths) {
          if (!check_path(p, diags)) continue;
          out.rules.push_back({item.deny, access, p.text, exec_mode, p.loc});
        }
        break;
      }
    }
  }
}

void apply_network(const ast::NetworkSection& s, ir::NetworkPolicy& out, DiagnosticEngine& diags) {
  out.specified = true;
  for (const ast::NetItem& item : s.items) {
    switch (item.kind) {
      case ast::NetItem::All:
        out.sockets.push_back({item.deny, "", "", item.loc});
        break;
      case ast::NetItem::Family: {
        // Families and types are the AF_* / SOCK_* constants of the system headers.
        if (!names::constant_value("AF_" + upper(item.family.text))) {
          std::vector<std::string> fams;
          for (const std::string& n : names::all_constant_names())
            if (n.rfind("AF_", 0) == 0) {
              std::string f = n.substr(3);
              for (char& c : f) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
              fams.push_back(f);
            }
          diags.error(item.family.loc, unknown_message("socket family", item.family.text, fams));
          break;
        }
        out.sockets.push_back(
            {item.deny, item.family.text, item.type ? item.type->text : "", item.loc});
        break;
      }
      case ast::NetItem::Bind:
      case ast::NetItem::Connect:
        for (const ast::PortRange& pr : item.ports) {
          auto first = number(pr.first, diags, 65535);
          auto last = pr.last ? number(*pr.last, diags, 65535) : first;
          if (!first || !last) continue;
          if (*last < *first) {
            diags.error(pr.first.loc, "port range " + pr.first.text + "-" + pr.last->text +
                                          " is empty (the first port is above the last)");
            continue;
          }
          ir::PortRule r;
          r.deny = item.deny;
          r.kind = item.kind == ast::NetItem::Bind ? ir::PortRule::Bind : ir::PortRule::Connect;
          r.first = static_cast<uint16_t>(*first);
          r.last = static_cast<uint16_t>(*last);
          r.loc = pr.first.loc;
          out.ports.push_back(r);
        }
        break;
      case ast::NetItem::Scope:
        if (item.deny) {
          diags.error(item.loc, "'deny scope' has no meaning: 'scope' already restricts");
          break;
        }
        if (item.scope.text == "abstract-unix")
          out.scope_abstract_unix = true;
        else
          out.scope_signals = true;
        break;
    }
  }
}

namespace {
// `KIND container NAME` and `KIND host`: which kinds may be shared, and a name policyrun can have.
bool check_shared_namespace(const ast::NsItem& item, ir::NamespaceKind kind,
                            DiagnosticEngine& diags) {
  using K = ir::NamespaceKind;
  const std::string name = ir::namespace_name(kind);
  if (item.host && kind == K::Mount) {
    diags.error(item.name.loc,
                "'mount host' is not possible: policyrun builds the container's root in a mount "
                "namespace of its own; remove the line");
    return false;
  }
  if (!item.container) return true;
  if (kind != K::Net && kind != K::Pid && kind != K::Ipc && kind != K::Uts) {
    diags.error(item.container->loc,
                "only the net, pid, ipc and uts namespaces of a container can be shared, not '" +
                    name + "'");
    return false;
  }
  const std::string& c = item.container->text;
  if (c.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
    diags.error(item.container->loc, "'" + c +
                                         "' is not a container name: names are made of "
                                         "a-z, 0-9, '_' and '-' (policyrun run --name)");
    return false;
  }
  return true;
}
}  // namespace

void apply_namespaces(const ast::NamespacesSection& s, ir::NamespacePlan& out,
                      DiagnosticEngine& diags) {
  for (const ast::NsItem& item : s.items) {
    if (item.kind != ast::NsItem::Namespace) {
      uint64_t v[3] = {0, 0, 0};
      bool ok = true;
      for (size_t i = 0; i < 3; ++i) {
        auto n = number(item.numbers.at(i), diags, UINT32_MAX);
        if (!n)
          ok = false;
        else
          v[i] = *n;
      }
      if (!ok) continue;
      ir::IdMap m{static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]),
                  static_cast<uint32_t>(v[2])};
      (item.kind == ast::NsItem::UidMap ? out.uid_map : out.gid_map).push_back(m);
      continue;
    }
    std::optional<ir::NamespaceKind> kind = ir::namespace_kind(item.name.text);
    if (!kind) {
      diags.error(item.name.loc,
                  unknown_message("namespace", item.name.text, ir::namespace_spellings()));
      continue;
    }
    std::string join = item.join ? item.join->text : "";
    if (item.join && !check_path(*item.join, diags)) continue;
    if (!check_shared_namespace(item, *kind, diags)) continue;
    auto existing = std::find_if(out.namespaces.begin(), out.namespaces.end(),
                                 [&](auto& n) { return n.kind == *kind; });
    if (item.host) {  // the host's: no namespace of that kind (a base's one is dropped)
      if (existing != out.namespaces.end()) out.namespaces.erase(existing);
      continue;
    }
    ir::NamespaceSpec spec{*kind, join, item.loc, item.container ? item.container->text : ""};
    if (existing != out.namespaces.end())
      *existing = spec;
    else
      out.namespaces.push_back(spec);
  }
}

void apply_resources(const ast::SettingsSection& s, ir::ResourceLimits& out,
                     DiagnosticEngine& diags) {
  out.loc = s.loc;
  for (const ast::Setting& item : s.items) {
    const std::string& k = item.key;
    const ast::Token& v = item.values.at(0);
    if (k == "memory") {
      if (auto x = size(v, diags)) out.memory_bytes = x;
    } else if (k == "memory.swap") {
      if (auto x = size(v, diags)) out.memory_swap_bytes = x;
    } else if (k == "cpu.shares") {
      if (auto x = number(v, diags, 262144)) out.cpu_shares = x;
    } else if (k == "cpu.weight") {
      auto x = number(v, diags, 10000);
      if (x && *x == 0)
        diags.error(v.loc, "cpu.weight must be between 1 and 10000");
      else if (x)
        out.cpu_weight = x;
    } else if (k == "cpu.quota") {
      auto quota = duration_us(v, diags);
      auto period = item.values.size() > 1 ? duration_us(item.values[1], diags)
                                           : std::optional<uint64_t>(100000);
      if (quota && period) {
        out.cpu_quota_us = static_cast<int64_t>(*quota);
        out.cpu_period_us = *period;
      }
    } else if (k == "cpus") {
      // cpus 1.5 = 150ms of CPU time every 100ms period, as `docker run --cpus`.
      double cpus = std::stod(v.text);
      if (cpus <= 0 || cpus > 1e6) {
        diags.error(v.loc, "cpus must be a positive number such as 1.5");
        continue;
      }
      out.cpu_period_us = 100000;
      out.cpu_quota_us = static_cast<int64_t>(cpus * 100000 + 0.5);  // cpus > 0: rounded
    } else if (k == "pids") {
      if (auto x = number(v, diags)) out.pids = x;
    } else if (k == "cpuset.cpus") {
      out.cpuset_cpus = v.text;
    } else if (k == "cpuset.mems") {
      out.cpuset_mems = v.text;
    }
  }
}

void apply_process(const ast::SettingsSection& s, ir::ProcessPlan& out, DiagnosticEngine& diags) {
  out.loc = s.loc;
  for (const ast::Setting& item : s.items) {
    const std::string& k = item.key;
    if (k == "no_new_privileges") {
      out.no_new_privileges = item.values.empty();
    } else if (k == "init") {
      out.init = true;
    } else if (k == "user") {
      auto is_name = [](const ast::Token& t) {
        return !t.text.empty() && !std::isdigit(static_cast<unsigned char>(t.text[0]));
      };
      const ast::Token& first = item.values.at(0);
      if (is_name(first) || (item.values.size() > 1 && is_name(item.values[1]))) {
        // Resolved in the image when the container starts (runtime/launch/user.cpp).
        out.uid.reset();
        out.gid.reset();
        out.user = first.text + (item.values.size() > 1 ? ":" + item.values[1].text : "");
        continue;
      }
      auto uid = number(first, diags, UINT32_MAX);
      auto gid = item.values.size() > 1 ? number(item.values[1], diags, UINT32_MAX) : uid;
      if (uid && gid) {
        out.user.reset();
        out.uid = static_cast<uint32_t>(*uid);
        out.gid = static_cast<uint32_t>(*gid);
      }
    } else if (k == "groups") {
      out.supplementary_groups.clear();
      for (const ast::Token& t : item.values)
        if (auto g = number(t, diags, UINT32_MAX)) out.supplementary_groups.push_back(*g);
    } else if (k == "hostname") {
      out.hostname = item.values.at(0).text;
    } else if (k == "cwd") {
      if (check_path(item.values.at(0), diags)) out.cwd = item.values.at(0).text;
    } else if (k == "env") {
      out.env[item.values.at(0).text] = item.values.at(1).text;
    } else if (k == "rlimit") {
      const ast::Token& name = item.values.at(0);
      std::string n = upper(name.text);
      if (n.rfind("RLIMIT_", 0) != 0) n = "RLIMIT_" + n;
      auto res = names::constant_value(n);
      if (!res) {
        std::vector<std::string> cands;
        bool prefixed = upper(name.text).rfind("RLIMIT_", 0) == 0;
        for (const std::string& c : names::all_constant_names())
          if (c.rfind("RLIMIT_", 0) == 0 && c != "RLIMIT_NLIMITS" && c != "RLIMIT_OFILE")
            cands.push_back(prefixed ? c : c.substr(7));
        diags.error(name.loc, unknown_message("resource limit", name.text, cands));
        continue;
      }
      auto limit = [&](const ast::Token& t) -> std::optional<uint64_t> {
        if (t.text == "unlimited") return uint64_t{RLIM_INFINITY};
        return number(t, diags);
      };
      auto soft = limit(item.values.at(1));
      auto hard = item.values.size() > 2 ? limit(item.values[2]) : soft;
      if (!soft || !hard) continue;
      if (*soft > *hard) {
        diags.error(item.values.at(1).loc, "the soft limit is above the hard limit");
        continue;
      }
      ir::Rlimit r{static_cast<int>(*res), *soft, *hard, item.loc};
      auto same = std::find_if(out.rlimits.begin(), out.rlimits.end(),
                               [&](auto& x) { return x.resource == r.resource; });
      if (same != out.rlimits.end())
        *same = r;
      else
        out.rlimits.push_back(r);
    }
  }
}

void apply_rootfs(const ast::SettingsSection& s, ir::RootfsPlan& out, DiagnosticEngine& diags) {
  out.loc = s.loc;
  auto add_unique = [](std::vector<std::string>& v, const std::string& p) {
    if (std::find(v.begin(), v.end(), p) == v.end()) v.push_back(p);
  };
  for (const ast::Setting& item : s.items) {
    const std::string& k = item.key;
    std::vector<std::string> opts;
    for (const ast::Token& o : item.options) opts.push_back(o.text);
    if (k == "readonly") {
      out.readonly = true;
    } else if (k == "chroot") {
      out.use_chroot = true;
      diags.warning(warn::kChrootEscapable, item.loc,
                    "chroot instead of pivot_root: a process with CAP_SYS_CHROOT can escape it");
    } else if (k == "tmpfs") {
      if (!check_path(item.values.at(0), diags)) continue;
      out.mounts.push_back({ir::MountSpec::Tmpfs, "", item.values[0].text, opts, item.loc});
    } else if (k == "bind") {
      if (!check_path(item.values.at(0), diags) || !check_path(item.values.at(1), diags)) continue;
      out.mounts.push_back(
          {ir::MountSpec::Bind, item.values[0].text, item.values[1].text, opts, item.loc});
    } else if (k == "masked" || k == "readonly-paths") {
      for (const ast::Token& p : item.values)
        if (check_path(p, diags))
          add_unique(k == "masked" ? out.masked_paths : out.readonly_paths, p.text);
    } else if (k == "root") {
      for (const ast::Token& o : item.options) {
        if (o.text == "nosuid")
          out.nosuid = true;
        else if (o.text == "nodev")
          out.nodev = true;
        else
          diags.error(o.loc,
                      unknown_message("flag of the root mount", o.text, {"nosuid", "nodev"}));
      }
    } else if (k == "docker-defaults") {
      for (const std::string& p : ir::docker_masked_paths()) add_unique(out.masked_paths, p);
      for (const std::string& p : ir::docker_readonly_paths()) add_unique(out.readonly_paths, p);
    }
  }
}

void apply_devices(const ast::SettingsSection& s, ir::DevicePlan& out, DiagnosticEngine& diags) {
  // The first devices section of the extends chain replaces the default list; later ones add.
  if (!out.specified) out.rules.clear();
  out.specified = true;
  for (const ast::Setting& item : s.items) {
    // values: type, [major, minor,] access (grammar: dev_allow)
    const std::vector<ast::Token>& v = item.values;
    ir::DeviceRule r;
    r.loc = item.loc;
    r.type = static_cast<ir::DeviceRule::Type>(v.at(0).text.at(0));
    bool ok = true;
    if (v.size() == 4) {
      auto num = [&](const ast::Token& t, int64_t& slot) {
        if (t.text == "*") return;
        // 32 bits: what the v2 device program sees (struct bpf_cgroup_dev_ctx).
        if (auto n = number(t, diags, UINT32_MAX))
          slot = static_cast<int64_t>(*n);
        else
          ok = false;
      };
      num(v[1], r.major);
      num(v[2], r.minor);
    }
    if (r.type == ir::DeviceRule::All && (r.major >= 0 || r.minor >= 0)) {
      diags.error(v.at(0).loc, "'allow a' covers every device: write 'a *:*', not major:minor");
      ok = false;
    }
    for (char c : v.back().text) {
      uint8_t bit = c == 'r'   ? ir::DeviceRule::Read
                    : c == 'w' ? ir::DeviceRule::Write
                               : ir::DeviceRule::Mknod;
      if (r.access & bit) {
        diags.error(v.back().loc, std::string("access '") + c + "' is written twice");
        ok = false;
      }
      r.access |= bit;
    }
    if (ok) out.rules.push_back(r);
  }
}

void apply_sysctl(const ast::SettingsSection& s, std::vector<ir::Sysctl>& out,
                  DiagnosticEngine& diags) {
  for (const ast::Setting& item : s.items) {
    const std::string& key = item.key;
    if (key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos) {
      diags.error(item.loc, "sysctl name '" + key + "' has an empty component");
      continue;
    }
    ir::Sysctl x{key, item.values.at(0).text, item.loc};
    auto same = std::find_if(out.begin(), out.end(), [&](auto& e) { return e.key == key; });
    if (same != out.end())
      *same = x;  // a derived policy overrides its base
    else
      out.push_back(x);
  }
}

void check_sysctls(const ir::Policy& p, DiagnosticEngine& diags) {
  auto created = [&](ir::NamespaceKind k) {
    for (const ir::NamespaceSpec& n : p.namespaces.namespaces)
      if (n.kind == k && n.creates()) return true;
    return false;
  };
  static const std::vector<std::string> kIpc = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (const ir::Sysctl& x : p.sysctls) {
    const std::string& k = x.key;
    // Each namespaced sysctl and the namespace it lives in (the list runc validates against).
    const char* ns = nullptr;
    ir::NamespaceKind kind = ir::NamespaceKind::Net;
    if (k == "kernel.domainname" || k == "kernel.hostname") {
      ns = "uts";
      kind = ir::NamespaceKind::Uts;
    } else if (std::find(kIpc.begin(), kIpc.end(), k) != kIpc.end() ||
               k.rfind("fs.mqueue.", 0) == 0) {
      ns = "ipc";
      kind = ir::NamespaceKind::Ipc;
    } else if (k.rfind("net.", 0) == 0) {
      ns = "net";
    }
    if (!ns) {
      diags.error(x.loc, "sysctl '" + k +
                             "' is not namespaced: setting it in a container would change the "
                             "whole host; only kernel.domainname, kernel.hostname, the IPC ones "
                             "(kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) and net.* can "
                             "be set");
      continue;
    }
    if (!created(kind))
      diags.error(x.loc, "sysctl '" + k + "' needs a new " + ns +
                             " namespace, or it would change the host's (or the joined one's); "
                             "add '" +
                             ns + "' to the namespaces section");
  }
}

}  // namespace policy::frontend
