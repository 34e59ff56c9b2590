// resolve: one selected policy and its bases -> ir::Policy. Names are checked here (syscalls,
// groups, capabilities, errno names, arches) with did-you-mean suggestions; `extends` is merged;
// capability and kernel gates are decided; rule conflicts and shadowing are diagnosed.
#include "compiler/frontend/resolve.hpp"

#include <seccomp.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <set>
#include <unordered_map>

#include "compiler/common/names.hpp"
#include "compiler/frontend/parse.hpp"
#include "compiler/ir/describe.hpp"

namespace policy::frontend {

std::string quoted_word(const std::string& word) {
  constexpr size_t kShown = 64;
  if (word.size() <= kShown) return "'" + word + "'";
  size_t end = kShown;  // not inside a UTF-8 sequence
  while (end > 0 && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
  return "'" + word.substr(0, end) + "...' (" + std::to_string(word.size()) + " bytes)";
}

std::string unknown_message(const std::string& what, const std::string& word,
                            const std::vector<std::string>& candidates) {
  std::string msg = "unknown " + what + " " + quoted_word(word);
  auto s = suggest(word, candidates);
  if (!s.empty()) msg += "; did you mean '" + s[0] + "'?";
  return msg;
}

std::optional<uint64_t> parse_integer(const std::string& text) {
  unsigned base = 10;
  size_t i = 0;
  if (text.size() > 2 && text[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(text[1])));
    if (p == 'x')
      base = 16, i = 2;
    else if (p == 'o')
      base = 8, i = 2;
    else if (p == 'b')
      base = 2, i = 2;
  }
  if (i >= text.size()) return std::nullopt;
  uint64_t v = 0;
  for (; i < text.size(); ++i) {
    int c = std::tolower(static_cast<unsigned char>(text[i]));
    unsigned d =
        std::isdigit(c) ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
    if (d >= base) return std::nullopt;
    if (v > (UINT64_MAX - d) / base) return std::nullopt;
    v = v * base + d;
  }
  return v;
}

ir::KernelVersion host_kernel_version() {
  struct utsname u {};
  ir::KernelVersion k;
  if (uname(&u) == 0) {
    unsigned major = 0, minor = 0;
    if (std::sscanf(u.release, "%u.%u", &major, &minor) >= 1) k = {major, minor};
  }
  return k;
}

namespace {

std::vector<std::string> short_capability_names() {
  std::vector<std::string> out;
  for (const std::string& n : names::all_capability_names()) out.push_back(n.substr(4));
  return out;
}

// A capability name as written -> its number, or an error with a suggestion in the same style
// (with or without CAP_) as the user wrote it.
std::optional<int> capability(const ast::Token& t, DiagnosticEngine& diags) {
  if (auto c = names::capability_number(t.text)) return c;
  bool prefixed =
      t.text.size() > 4 && (t.text.rfind("CAP_", 0) == 0 || t.text.rfind("cap_", 0) == 0);
  diags.error(t.loc,
              unknown_message("capability", t.text,
                              prefixed ? names::all_capability_names() : short_capability_names()));
  return std::nullopt;
}

std::optional<uint32_t> arch(const ast::Token& t, DiagnosticEngine& diags) {
  if (auto a = names::arch_token(t.text)) return a;
  diags.error(t.loc, unknown_message("architecture", t.text, names::all_arch_names()));
  return std::nullopt;
}

std::optional<ir::Action> action(const ast::ActionSpec& a, DiagnosticEngine& diags) {
  using K = ir::ActionKind;
  if (a.kind == "allow") return ir::Action{K::Allow, 0};
  if (a.kind == "kill" || a.kind == "kill-process") return ir::Action{K::KillProcess, 0};
  if (a.kind == "kill-thread") return ir::Action{K::KillThread, 0};
  if (a.kind == "log") return ir::Action{K::Log, 0};
  if (a.kind == "user-notify") return ir::Action{K::UserNotify, 0};
  if (a.kind == "errno") {
    const ast::Token& v = *a.value;
    if (std::isdigit(static_cast<unsigned char>(v.text[0]))) {
      auto n = parse_integer(v.text);
      if (!n || *n > 4095) {
        diags.error(v.loc, "errno value '" + v.text + "' is out of range (0..4095)");
        return std::nullopt;
      }
      return ir::Action{K::Errno, static_cast<uint32_t>(*n)};
    }
    if (auto e = names::errno_value(v.text)) return ir::Action{K::Errno, static_cast<uint32_t>(*e)};
    diags.error(v.loc, unknown_message("errno name", v.text, names::all_errno_names()));
    return std::nullopt;
  }
  // trap(N), trace(N): N is the 16-bit data of SECCOMP_RET_TRAP / SECCOMP_RET_TRACE.
  ir::Action out{a.kind == "trap" ? K::Trap : K::Trace, 0};
  if (a.value) {
    auto n = parse_integer(a.value->text);
    if (!n || *n > 0xffff) {
      diags.error(a.value->loc, "'" + a.value->text + "' is out of range (0..65535)");
      return std::nullopt;
    }
    out.value = static_cast<uint32_t>(*n);
  }
  return out;
}

// libseccomp gives socketcall(2)/ipc(2)-multiplexed calls (socket on x86: socketcall(SYS_SOCKET)
// and, since Linux 4.3, a direct number) pseudo-numbers from __PNR_socket down to __PNR_shmctl,
// which it still filters; lower pseudo-numbers mean "absent on this architecture".
bool exists_on(const std::string& syscall, uint32_t arch) {
  if (names::syscall_number(syscall, arch)) return true;
  int nr = seccomp_syscall_resolve_name_arch(arch, syscall.c_str());
  return nr <= __PNR_socket && nr >= __PNR_shmctl;
}

// A syscall reached through a group: the chain of groups, e.g. "@system-service > @io-event".
class GroupExpander {
 public:
  GroupExpander(const Program& p, DiagnosticEngine& d, GroupExpansions* shared)
      : program_(p), diags_(d), done_(shared ? *shared : own_) {}

  // Members of @name, nested groups expanded; nullptr after reporting an error.
  const std::vector<GroupMember>* expand(const std::string& name) {
    if (auto it = done_.find(name); it != done_.end()) return it->second ? &*it->second : nullptr;
    auto git = program_.groups.find(name);
    if (git == program_.groups.end()) return nullptr;
    if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
      std::string chain;
      for (auto it = std::find(stack_.begin(), stack_.end(), name); it != stack_.end(); ++it)
        chain += "@" + *it + " > ";
      diags_.error(git->second->name.loc,
                   "group '@" + name + "' contains itself (" + chain + "@" + name + ")");
      return nullptr;
    }
    if (stack_.size() >= kMaxGroupDepth) {
      // Reported once: the groups below this one would each hit the limit again.
      if (!depth_reported_)
        diags_.error(git->second->name.loc,
                     "groups nested deeper than " + std::to_string(kMaxGroupDepth) + " levels (@" +
                         stack_.front() + " > ... > @" + name +
                         "); list the syscalls of the deepest groups directly");
      depth_reported_ = true;
      return nullptr;
    }
    stack_.push_back(name);
    const ast::Group& g = *git->second;
    std::vector<GroupMember> out;
    out.reserve(g.members.size());
    std::set<std::string> seen;
    bool ok = true;
    for (const ast::Target& m : g.members) {
      if (!m.is_group) {
        if (!names::syscall_known(m.name.text)) {
          diags_.error(m.name.loc,
                       unknown_message("syscall", m.name.text, names::all_syscall_names()));
          ok = false;
          continue;
        }
        if (seen.insert(m.name.text).second) out.push_back({m.name.text, "@" + name, m.name.loc});
        continue;
      }
      if (!program_.groups.count(m.name.text)) {
        diags_.error(m.name.loc, unknown_message("group", "@" + m.name.text, at_names()));
        ok = false;
        continue;
      }
      const auto* sub = expand(m.name.text);
      if (!sub) {
        ok = false;
        continue;
      }
      for (const GroupMember& s : *sub)
        if (seen.insert(s.syscall).second)
          out.push_back({s.syscall, "@" + name + " > " + s.via, s.loc});
    }
    stack_.pop_back();
    if (!ok) {
      done_[name] = std::nullopt;
      return nullptr;
    }
    return &*(done_[name] = std::move(out));
  }

  std::vector<std::string> at_names() const {
    std::vector<std::string> out;
    for (auto& [k, _] : program_.groups) out.push_back("@" + k);
    return out;
  }

 private:
  const Program& program_;
  DiagnosticEngine& diags_;
  GroupExpansions own_;
  GroupExpansions& done_;
  std::vector<std::string> stack_;
  bool depth_reported_ = false;
};

// One resolved rule on its way into the IR, with where it came from.
struct Candidate {
  ir::SyscallRule rule;
  size_t policy = 0;    // index in the extends linearisation
  bool direct = false;  // the syscall was named in the rule (not reached through a group)
  bool removed = false;
};

std::string condition_key(const ir::Condition& c) {
  std::vector<std::string> conj;
  for (const auto& cj : c) {
    std::vector<std::string> parts;
    for (const auto& x : cj)
      parts.push_back(std::to_string(x.arg) + ":" + std::to_string(static_cast<int>(x.op)) + ":" +
                      std::to_string(x.value) + ":" + std::to_string(x.mask) + ":" +
                      std::to_string(static_cast<int>(x.width)));
    std::sort(parts.begin(), parts.end());
    std::string s;
    for (auto& p : parts) s += p + "&";
    conj.push_back(s);
  }
  std::sort(conj.begin(), conj.end());
  std::string out;
  for (auto& s : conj) out += s + "|";
  return out;
}

// Same syscall, same condition, same arch and kernel gates.
// `with_args` false: the key of the rule's gates only (its syscall, arches and kernel).
std::string rule_key(const ir::SyscallRule& r, bool with_args = true) {
  auto arches = [](std::vector<uint32_t> v) {
    std::sort(v.begin(), v.end());
    std::string s;
    for (auto a : v) s += std::to_string(a) + ",";
    return s;
  };
  std::string k = r.syscall + "#" + (with_args ? condition_key(r.args) : std::string()) + "#" +
                  arches(r.arches) + "#" + arches(r.not_arches);
  if (r.min_kernel)
    k += "#" + std::to_string(r.min_kernel->major) + "." + std::to_string(r.min_kernel->minor);
  return k;
}

class PolicyResolver {
 public:
  PolicyResolver(const Program& p, const LoadOptions& o, DiagnosticEngine& d,
                 GroupExpansions* expanded)
      : program_(p), options_(o), diags_(d), groups_(p, d, expanded) {}

  std::optional<ir::Policy> run(const ast::Policy& selected) {
    linearise(selected);
    if (diags_.has_errors()) return std::nullopt;
    ir::Policy out;
    out.name = selected.name.text;
    out.loc = selected.loc;
    for (auto it = chain_.rbegin(); it != chain_.rend(); ++it)
      if (*it != &selected) out.bases.push_back((*it)->name.text);
    resolve_capabilities(out);
    resolve_syscalls(out);
    warn_nothing_allowed(out);
    for (const ast::Policy* p : chain_) {
      const std::string& name = p->name.text;
      if (p->filesystem) {
        remove_paths(*p->filesystem, name, out, diags_);
        apply_filesystem(*p->filesystem, out.filesystem, diags_);
      }
      if (p->network) apply_network(*p->network, out.network, diags_);
      if (p->namespaces) {
        remove_namespaces(*p->namespaces, name, out, diags_);
        apply_namespaces(*p->namespaces, out.namespaces, diags_);
      }
      if (p->resources) apply_resources(*p->resources, out.resources, diags_);
      if (p->process) apply_process(*p->process, out.process, diags_);
      if (p->rootfs) {
        remove_mounts(*p->rootfs, name, out, diags_);
        apply_rootfs(*p->rootfs, out.rootfs, diags_);
      }
      if (p->devices) apply_devices(*p->devices, out.resources.devices, diags_);
      if (p->sysctl) apply_sysctl(*p->sysctl, out.sysctls, diags_);
    }
    check_sysctls(out, diags_);  // once the namespaces of the whole chain are known
    if (diags_.has_errors()) return std::nullopt;
    return out;
  }

 private:
  const Program& program_;
  const LoadOptions& options_;
  DiagnosticEngine& diags_;
  GroupExpander groups_;
  std::vector<const ast::Policy*> chain_;  // bases first, the selected policy last

  // ---- extends: depth-first, bases in the order written, each policy once ----
  void linearise(const ast::Policy& selected) {
    std::vector<const ast::Policy*> stack;
    std::set<const ast::Policy*> done;
    bool depth_reported = false;
    std::vector<std::string> all_names;
    for (auto& [n, _] : program_.policies) all_names.push_back(n);
    std::function<void(const ast::Policy&)> visit = [&](const ast::Policy& p) {
      if (done.count(&p)) return;
      if (std::find(stack.begin(), stack.end(), &p) != stack.end()) {
        std::string chain;
        for (auto it = std::find(stack.begin(), stack.end(), &p); it != stack.end(); ++it)
          chain += (*it)->name.text + " -> ";
        diags_.error(p.name.loc,
                     "policy '" + p.name.text + "' extends itself (" + chain + p.name.text + ")");
        return;
      }
      stack.push_back(&p);
      for (const ast::Token& b : p.bases) {
        auto it = program_.policies.find(b.text);
        if (it == program_.policies.end()) {
          diags_.error(b.loc, unknown_message("base policy", b.text, all_names));
          continue;
        }
        if (stack.size() >= kMaxExtendsDepth && !done.count(it->second)) {
          if (!depth_reported)
            diags_.error(b.loc, "'extends' chain deeper than " + std::to_string(kMaxExtendsDepth) +
                                    " policies (" + stack.front()->name.text + " -> ... -> " +
                                    p.name.text + " -> " + b.text +
                                    "); extend fewer levels of policies");
          depth_reported = true;
          continue;
        }
        visit(*it->second);
      }
      stack.pop_back();
      if (done.insert(&p).second) chain_.push_back(&p);
    };
    visit(selected);
  }

  // ---- capabilities: a policy without any capabilities section keeps none ----
  void resolve_capabilities(ir::Policy& out) {
    ir::CapabilitySets& c = out.capabilities;
    uint64_t all = 0;
    for (int i = 0; i <= names::last_capability(); ++i) all |= uint64_t{1} << i;
    for (const ast::Policy* p : chain_) {
      if (!p->capabilities) continue;
      c.loc = p->capabilities->loc;
      remove_capabilities(*p->capabilities, p->name.text, out);
      for (const ast::CapItem& item : p->capabilities->items) {
        uint64_t set = 0;
        if (item.set == ast::CapItem::All) set = all;
        for (const ast::Token& t : item.caps)
          if (auto n = capability(t, diags_)) set |= uint64_t{1} << *n;
        const std::string& v = item.verb;
        if (v == "keep") {
          c.bounding = c.permitted = c.effective = set;
          c.inheritable = c.ambient = 0;
        } else if (v == "add") {
          c.bounding |= set;
          c.permitted |= set;
          c.effective |= set;
        } else if (v == "drop") {
          c.bounding &= ~set;
          c.permitted &= ~set;
          c.effective &= ~set;
          c.inheritable &= ~set;
          c.ambient &= ~set;
        } else if (v == "bounding") {
          c.bounding = set;
        } else if (v == "permitted") {
          c.permitted = set;
        } else if (v == "effective") {
          c.effective = set;
        } else if (v == "inheritable") {
          c.inheritable = set;
        } else if (v == "ambient") {
          c.ambient = set;
        }
      }
    }
    auto list = [](uint64_t bits) {
      std::string s;
      for (int i = 0; i < 64; ++i)
        if (bits >> i & 1) s += (s.empty() ? "" : ", ") + names::capability_name(i);
      return s;
    };
    if (uint64_t extra = c.effective & ~c.permitted)
      diags_.error(c.loc, "the effective set must be part of the permitted set; not permitted: " +
                              list(extra));
    if (uint64_t extra = c.ambient & ~(c.permitted & c.inheritable))
      diags_.error(
          c.loc,
          "an ambient capability must also be permitted and inheritable; not both: " + list(extra));
  }

  // `-NET_RAW`: out of all five sets, before the section's own items.
  void remove_capabilities(const ast::CapabilitiesSection& s, const std::string& policy,
                           ir::Policy& out) {
    ir::CapabilitySets& c = out.capabilities;
    for (const ast::Removal& r : s.removals) {
      auto n = capability(r.name, diags_);
      if (!n) continue;
      const ast::CapItem* adding = nullptr;
      for (const ast::CapItem& item : s.items) {
        if (item.verb == "drop") continue;
        bool named = item.set == ast::CapItem::All;
        for (const ast::Token& t : item.caps)
          named = named || names::capability_number(t.text) == n;
        if (named) adding = &item;
      }
      if (adding) {
        report_added_and_removed(r, "'" + adding->verb + "'", adding->loc, diags_);
        continue;
      }
      const uint64_t bit = uint64_t{1} << *n;
      if (!((c.bounding | c.permitted | c.effective | c.inheritable | c.ambient) & bit)) {
        // Suggested as written: with CAP_ or without.
        const bool prefixed = r.name.text.size() > 4 && (r.name.text.rfind("CAP_", 0) == 0 ||
                                                         r.name.text.rfind("cap_", 0) == 0);
        std::vector<std::string> inherited;
        for (int i = 0; i <= names::last_capability(); ++i)
          if (c.has(i)) inherited.push_back(names::capability_name(i).substr(prefixed ? 0 : 4));
        diags_.error(r.loc, removes_nothing_message(r, "capability", policy, inherited));
        continue;
      }
      c.bounding &= ~bit;
      c.permitted &= ~bit;
      c.effective &= ~bit;
      c.inheritable &= ~bit;
      c.ambient &= ~bit;
      out.removals.push_back({"capabilities", names::capability_name(*n), r.loc});
    }
  }

  // ---- syscalls ----
  struct Gates {
    std::vector<std::string> requires_caps, unless_caps;
    std::vector<uint32_t> arches, not_arches;
    std::optional<ir::KernelVersion> min_kernel;
    bool active = true;
    SourceLoc dropped_cap_loc;  // the first `when capability X` whose X is not kept
    std::string dropped_cap;
  };

  Gates gates(const ast::SyscallRule& r, const ir::CapabilitySets& caps,
              const ir::KernelVersion& kernel) {
    Gates g;
    for (const ast::Gate& gt : r.gates) {
      if (gt.kind == ast::Gate::Capability) {
        auto n = capability(gt.names.at(0), diags_);
        if (!n) continue;
        std::string name = names::capability_name(*n);
        bool kept = caps.has(*n);
        (gt.negated ? g.unless_caps : g.requires_caps).push_back(name);
        if (kept == gt.negated) {
          g.active = false;
          if (!gt.negated && g.dropped_cap.empty()) {
            g.dropped_cap = name;
            g.dropped_cap_loc = gt.loc;
          }
        }
      } else if (gt.kind == ast::Gate::Arch) {
        for (const ast::Token& t : gt.names)
          if (auto a = arch(t, diags_)) (gt.negated ? g.not_arches : g.arches).push_back(*a);
      } else {
        unsigned major = 0, minor = 0;
        std::sscanf(gt.version.text.c_str(), "%u.%u", &major, &minor);
        ir::KernelVersion v{major, minor};
        if (gt.negated) {
          diags_.error(gt.loc,
                       "'when not kernel' is not supported; write the rule for the kernels "
                       "that have the feature ('when kernel >= X.Y')");
          continue;
        }
        if (!g.min_kernel || *g.min_kernel < v) g.min_kernel = v;
        if (kernel < v) g.active = false;
      }
    }
    return g;
  }

  void resolve_syscalls(ir::Policy& out) {
    ir::SeccompPolicy& sc = out.seccomp;
    const ast::SyscallsSection* last_arch_section = nullptr;
    for (const ast::Policy* p : chain_) {
      if (!p->syscalls) continue;
      if (p->syscalls->default_action)
        if (auto a = action(*p->syscalls->default_action, diags_)) sc.default_action = *a;
      if (!p->syscalls->arches.empty()) last_arch_section = &*p->syscalls;
    }
    if (last_arch_section)
      for (const ast::Token& t : last_arch_section->arches)
        if (auto a = arch(t, diags_)) sc.arches.push_back(*a);
    if (!options_.arches.empty()) sc.arches = options_.arches;
    if (sc.arches.empty()) sc.arches = names::default_target_arches();
    if (options_.kernel) sc.target_kernel = options_.kernel;
    ir::KernelVersion kernel = options_.kernel ? *options_.kernel : host_kernel_version();

    std::vector<Candidate> rules;
    rules.reserve(512);  // docker-default resolves ~450 candidate rules; growing costs moves
    std::unordered_map<std::string, size_t> by_key;
    std::vector<std::pair<std::string, SourceLoc>> dropped;  // -Wcapability-dropped, one report
    for (size_t pi = 0; pi < chain_.size(); ++pi) {
      const ast::Policy& p = *chain_[pi];
      if (!p.syscalls) continue;
      bool own = pi + 1 == chain_.size();
      remove_syscalls(*p.syscalls, p.name.text, rules, out);
      for (const ast::SyscallRule& r : p.syscalls->rules) {
        auto act = action(r.action, diags_);
        Gates g = gates(r, out.capabilities, kernel);
        if (!act) continue;
        if (own && !g.dropped_cap.empty()) dropped.emplace_back(g.dropped_cap, g.dropped_cap_loc);
        for (const ast::Target& t : r.targets) {
          std::vector<Candidate> expanded;
          if (t.is_group) {
            if (!program_.groups.count(t.name.text)) {
              diags_.error(t.name.loc,
                           unknown_message("group", "@" + t.name.text, groups_.at_names()));
              continue;
            }
            const auto* members = groups_.expand(t.name.text);
            if (!members) continue;
            expanded.reserve(members->size());
            for (const GroupMember& m : *members) {
              Candidate c;
              c.rule.syscall = m.syscall;
              c.rule.via = m.via;
              c.rule.loc = t.name.loc;
              expanded.push_back(std::move(c));
            }
          } else {
            if (!names::syscall_known(t.name.text)) {
              diags_.error(t.name.loc,
                           unknown_message("syscall", t.name.text, names::all_syscall_names()));
              continue;
            }
            Candidate c;
            c.direct = true;
            c.rule.syscall = t.name.text;
            c.rule.loc = t.name.loc;
            if (t.cond) {
              auto cond = resolve_condition(*t.cond, t.name.text, diags_);
              if (!cond) continue;
              c.rule.args = std::move(*cond);
            }
            if (g.active) warn_missing_arches(c.rule.syscall, g, sc.arches, t.name.loc);
            expanded.push_back(std::move(c));
          }
          for (Candidate& c : expanded) {
            c.policy = pi;
            c.rule.action = *act;
            c.rule.arches = g.arches;
            c.rule.not_arches = g.not_arches;
            c.rule.min_kernel = g.min_kernel;
            c.rule.requires_caps = g.requires_caps;
            c.rule.unless_caps = g.unless_caps;
            if (!g.active) {
              sc.inactive_rules.push_back(std::move(c.rule));
              continue;
            }
            merge(rules, by_key, std::move(c));
          }
        }
      }
    }
    warn_dropped_capabilities(dropped);
    warn_shadowed_conditionals(rules);
    for (Candidate& c : rules)
      if (!c.removed) sc.rules.push_back(std::move(c.rule));
  }

  // The actions that let a call run, or leave it to a tracer or a supervisor: what a policy
  // grants, and what a removal takes away.
  static bool grants(const ir::Action& a) {
    return a.kind == ir::ActionKind::Allow || a.kind == ir::ActionKind::Log ||
           a.kind == ir::ActionKind::Trace || a.kind == ir::ActionKind::UserNotify;
  }
  static bool grants(const ast::ActionSpec& a) {
    return a.kind == "allow" || a.kind == "log" || a.kind == "trace" || a.kind == "user-notify";
  }

  // `-ptrace`, `-@mount`: every rule of the policies before this one that grants the call (any
  // condition, active or not) goes, before the section's own rules; the call then falls to the
  // rules that refuse it, or to the default action.
  void remove_syscalls(const ast::SyscallsSection& s, const std::string& policy,
                       std::vector<Candidate>& rules, ir::Policy& out) {
    ir::SeccompPolicy& sc = out.seccomp;
    for (const ast::Removal& r : s.removals) {
      std::set<std::string> calls;
      if (r.is_group) {
        if (!program_.groups.count(r.name.text)) {
          diags_.error(r.name.loc, unknown_message("group", "@" + r.name.text, groups_.at_names()));
          continue;
        }
        const auto* members = groups_.expand(r.name.text);
        if (!members) continue;
        for (const GroupMember& m : *members) calls.insert(m.syscall);
      } else {
        if (!names::syscall_known(r.name.text)) {
          diags_.error(r.name.loc,
                       unknown_message("syscall", r.name.text, names::all_syscall_names()));
          continue;
        }
        calls.insert(r.name.text);
      }
      if (const ast::SyscallRule* adding = granting_rule(s, calls)) {
        report_added_and_removed(r, "'" + adding->action.kind + "' rule", adding->loc, diags_);
        continue;
      }
      if (grants(sc.default_action)) {
        diags_.error(r.loc, quoted_word("-" + std::string(r.is_group ? "@" : "") + r.name.text) +
                                " refuses nothing: the default action is " +
                                ir::describe(sc.default_action) +
                                "; refuse the calls with a rule instead, as in 'errno(EPERM) " +
                                (r.is_group ? "@" : "") + r.name.text + "'");
        continue;
      }
      std::set<std::string> removed;
      for (Candidate& c : rules)
        if (!c.removed && grants(c.rule.action) && calls.count(c.rule.syscall)) {
          c.removed = true;
          removed.insert(c.rule.syscall);
        }
      auto end = std::remove_if(sc.inactive_rules.begin(), sc.inactive_rules.end(),
                                [&](const ir::SyscallRule& x) {
                                  if (!grants(x.action) || !calls.count(x.syscall)) return false;
                                  removed.insert(x.syscall);
                                  return true;
                                });
      sc.inactive_rules.erase(end, sc.inactive_rules.end());
      if (removed.empty()) {
        std::set<std::string> granted;
        for (const Candidate& c : rules)
          if (!c.removed && grants(c.rule.action)) granted.insert(c.rule.syscall);
        for (const ir::SyscallRule& x : sc.inactive_rules)
          if (grants(x.action)) granted.insert(x.syscall);
        diags_.error(r.loc,
                     removes_nothing_message(r, r.is_group ? "syscall of the group" : "syscall",
                                             policy, {granted.begin(), granted.end()}));
        continue;
      }
      for (const std::string& call : removed) out.removals.push_back({"syscalls", call, r.loc});
    }
  }

  // The section's rule that grants one of `calls` unconditionally (named, or through a group);
  // a conditional rule is how a removal is narrowed again, never a conflict.
  const ast::SyscallRule* granting_rule(const ast::SyscallsSection& s,
                                        const std::set<std::string>& calls) {
    for (const ast::SyscallRule& rule : s.rules) {
      if (!grants(rule.action)) continue;
      for (const ast::Target& t : rule.targets) {
        if (!t.is_group) {
          if (!t.cond && calls.count(t.name.text)) return &rule;
          continue;
        }
        if (!program_.groups.count(t.name.text)) continue;
        if (const auto* members = groups_.expand(t.name.text))
          for (const GroupMember& m : *members)
            if (calls.count(m.syscall)) return &rule;
      }
    }
    return nullptr;
  }

  // -Wall-syscalls-refused: a filter that refuses everything refuses the launch's own execve (it is
  // installed just before it, docs/runtime.md), and then the exit that reports the failure.
  void warn_nothing_allowed(const ir::Policy& out) {
    const ir::SeccompPolicy& sc = out.seccomp;
    if (diags_.has_errors()) return;  // rules with errors were dropped: the warning would mislead
    if (grants(sc.default_action)) return;
    for (const ir::SyscallRule& r : sc.rules)
      if (grants(r.action)) return;
    // Only a policy that writes a syscalls section: one without (the front end's own tests of
    // other sections) gets the IR's default filter, which the writer of the policy never chose.
    const ast::SyscallsSection* last = nullptr;
    for (const ast::Policy* p : chain_)
      if (p->syscalls) last = &*p->syscalls;
    if (!last) return;
    diags_.warning(warn::kNoSyscallAllowed, last->loc,
                   "the seccomp filter allows no system call (default " +
                       ir::describe(sc.default_action) +
                       "): it is installed just before execve, which it refuses, so the command "
                       "never starts and the launch dies at its next system call; allow the "
                       "calls the program needs");
  }

  // -Wcapability-dropped: one rule is reported where it is; several (a library policy such as
  // docker-default gates many rules on capabilities it leaves to derived policies) in one warning
  // at the first, naming every capability, so that the report stays readable.
  void warn_dropped_capabilities(const std::vector<std::pair<std::string, SourceLoc>>& dropped) {
    if (dropped.empty()) return;
    if (dropped.size() == 1) {
      diags_.warning(warn::kCapabilityDropped, dropped[0].second,
                     "rule is inactive: " + dropped[0].first + " is not kept by this policy");
      return;
    }
    std::vector<std::string> caps;
    for (auto& [cap, loc] : dropped)
      if (std::find(caps.begin(), caps.end(), cap) == caps.end()) caps.push_back(cap);
    std::string list;
    for (auto& c : caps) list += (list.empty() ? "" : ", ") + c;
    diags_.warning(warn::kCapabilityDropped, dropped[0].second,
                   std::to_string(dropped.size()) +
                       " rules are inactive: this policy does not keep " + list +
                       " (the first such rule is here)");
  }

  // -Wsyscall-missing-on-arch, only for syscalls named directly (groups list every ABI's names).
  void warn_missing_arches(const std::string& syscall, const Gates& g,
                           const std::vector<uint32_t>& targets, const SourceLoc& loc) {
    std::string missing;
    for (uint32_t a : targets) {
      if (!g.arches.empty() && std::find(g.arches.begin(), g.arches.end(), a) == g.arches.end())
        continue;
      if (std::find(g.not_arches.begin(), g.not_arches.end(), a) != g.not_arches.end()) continue;
      if (!exists_on(syscall, a)) missing += (missing.empty() ? "" : ", ") + names::arch_name(a);
    }
    if (!missing.empty())
      diags_.warning(
          warn::kSyscallMissingOnArch, loc,
          "syscall '" + syscall + "' does not exist on " + missing + "; the rule is skipped there");
  }

  void merge(std::vector<Candidate>& rules, std::unordered_map<std::string, size_t>& by_key,
             Candidate c) {
    std::string key = rule_key(c.rule);
    auto it = by_key.find(key);
    if (it == by_key.end()) {
      by_key[key] = rules.size();
      rules.push_back(std::move(c));
      return;
    }
    Candidate& e = rules[it->second];
    auto replace = [&] {
      e.removed = true;
      by_key[key] = rules.size();
      rules.push_back(std::move(c));
    };
    if (e.policy != c.policy) return replace();  // a derived policy overrides its base
    if (e.rule.action == c.rule.action) {
      if (c.direct && e.direct)
        diags_.warning(warn::kShadowedRule, c.rule.loc,
                       "rule for '" + c.rule.syscall + "' repeats an earlier rule",
                       {DiagnosticEngine::note(
                           e.rule.loc, "previous rule for '" + e.rule.syscall + "' is here")});
      return;
    }
    if (c.direct && !e.direct) return replace();  // naming a syscall overrides its group
    if (!c.direct && e.direct) return;
    std::string what =
        "conflicting actions for '" + c.rule.syscall + "': " + ir::describe(c.rule.action) +
        (c.rule.via.empty() ? "" : " (via " + c.rule.via + ")") + " and " +
        ir::describe(e.rule.action) + (e.rule.via.empty() ? "" : " (via " + e.rule.via + ")");
    diags_.error(
        c.rule.loc, what,
        {DiagnosticEngine::note(e.rule.loc, "previous rule for '" + e.rule.syscall + "' is here")});
  }

  // A conditional rule can never decide when the same policy also has the unconditional rule
  // with the same action for that syscall (and the same arch/kernel gates).
  void warn_shadowed_conditionals(const std::vector<Candidate>& rules) {
    std::unordered_map<std::string, const Candidate*> unconditional;
    auto gate_key = [](const Candidate& c) {
      return rule_key(c.rule, false) + "#" + std::to_string(c.policy);
    };
    for (const Candidate& c : rules)
      if (!c.removed && c.rule.args.empty()) unconditional[gate_key(c)] = &c;
    for (const Candidate& c : rules) {
      if (c.removed || c.rule.args.empty() || !c.direct) continue;
      auto it = unconditional.find(gate_key(c));
      if (it == unconditional.end() || !(it->second->rule.action == c.rule.action)) continue;
      diags_.warning(
          warn::kShadowedRule, c.rule.loc,
          "conditional rule for '" + c.rule.syscall +
              "' never decides: an unconditional rule with the same action exists",
          {DiagnosticEngine::note(it->second->rule.loc,
                                  "unconditional rule for '" + c.rule.syscall + "' is here")});
    }
  }
};

}  // namespace

void check_groups(const Program& program, DiagnosticEngine& diags, GroupExpansions* groups) {
  GroupExpander g(program, diags, groups);
  for (auto& [name, _] : program.groups) g.expand(name);
}

std::optional<ir::Policy> resolve_policy(const Program& program, const ast::Policy& selected,
                                         const LoadOptions& options, DiagnosticEngine& diags,
                                         GroupExpansions* groups) {
  PolicyResolver r(program, options, diags, groups);
  auto out = r.run(selected);
  if (diags.has_errors()) return std::nullopt;
  return out;
}

}  // namespace policy::frontend
