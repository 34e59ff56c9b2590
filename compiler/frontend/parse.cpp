// The grammar's parse tree (only rules marked grammar::node are kept) is walked once into the AST.
#include "compiler/frontend/parse.hpp"

#include <tao/pegtl/contrib/parse_tree.hpp>
#include <type_traits>

#include "grammar/policy_grammar.hpp"

namespace policy::frontend {

namespace pegtl = tao::pegtl;
namespace g = policy::grammar;

namespace {

template <typename Rule>
struct selector : std::bool_constant<std::is_base_of_v<g::node, Rule>> {};

// How deep conditions and values are nested (parentheses and `not`): PEGTL's recursive descent,
// the parse tree, the AST and every walk over them recurse once per level, so a hostile policy
// must not choose the depth.
struct Nesting {
  unsigned conditions = 0;  // `( cond )` and `not`: the condition itself is level 1
  unsigned values = 0;      // `( value )`: the value itself is level 1
};

// The rules that recurse. Each is a parse-tree node, so the parse-tree control calls
// start/success/failure for it.
template <typename Rule>
inline constexpr bool kConditionLevel =
    std::is_same_v<Rule, g::cond> || std::is_same_v<Rule, g::cond_not>;
template <typename Rule>
inline constexpr bool kValueLevel = std::is_same_v<Rule, g::value>;

// Syntax errors carry the message written for the rule that was required (grammar's
// error_message), never PEGTL's internal rule names.
template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename Input, typename... States>
  [[noreturn]] static void raise(const Input& in, States&&...) {
    static_assert(g::error_message<Rule> != nullptr, "every rule under must<> needs a message");
    throw pegtl::parse_error(g::error_message<Rule>, in);
  }
  template <typename Input>
  static void start(const Input& in, Nesting& n) {
    if constexpr (kConditionLevel<Rule>) {
      // + 1: every operand first tries `not` (cond_not starts before its keyword is matched), so
      // the deepest legal level is followed by one attempt that fails at once. The error points
      // at the operand one level too deep.
      if (++n.conditions > kMaxConditionNesting + 1)
        throw pegtl::parse_error("condition nested deeper than " +
                                     std::to_string(kMaxConditionNesting) +
                                     " levels of parentheses and 'not'; simplify it or split "
                                     "it into several rules",
                                 in);
    }
    if constexpr (kValueLevel<Rule>) {
      if (++n.values > kMaxConditionNesting)
        throw pegtl::parse_error("value nested deeper than " +
                                     std::to_string(kMaxConditionNesting) +
                                     " levels of parentheses; remove the extra parentheses",
                                 in);
    }
  }
  template <typename Input>
  static void success(const Input&, Nesting& n) {
    leave(n);
  }
  template <typename Input>
  static void failure(const Input&, Nesting& n) {
    leave(n);
  }
  static void leave(Nesting& n) {
    if constexpr (kConditionLevel<Rule>) --n.conditions;
    if constexpr (kValueLevel<Rule>) --n.values;
  }
};

using Node = pegtl::parse_tree::node;

class TreeWalker {
 public:
  TreeWalker(std::string file, DiagnosticEngine& diags) : file_(std::move(file)), diags_(diags) {}

  ast::File file(const Node& root) {
    ast::File f;
    f.name = file_;
    for (auto& c : root.children) {
      if (c->is_type<g::include_decl>()) {
        f.includes.push_back({token_unquoted(*c->children.at(0)), loc(*c)});
      } else if (c->is_type<g::group_decl>()) {
        f.groups.push_back(group(*c));
      } else if (c->is_type<g::policy_decl>()) {
        f.policies.push_back(policy(*c));
      }
    }
    return f;
  }

 private:
  std::string file_;
  DiagnosticEngine& diags_;

  SourceLoc loc(const Node& n) const {
    // The node's own iterator (begin() would copy the input's source name into a position).
    return SourceLoc{file_, static_cast<unsigned>(n.m_begin.line),
                     static_cast<unsigned>(n.m_begin.column)};
  }
  ast::Token token(const Node& n) const { return {n.string(), loc(n)}; }

  // A quoted string (or a path / peer written as one) without its quotes and escapes.
  ast::Token token_unquoted(const Node& n) const {
    if (n.is_type<g::path>() && !n.children.empty()) return token_unquoted(*n.children[0]);
    if (!n.is_type<g::quoted>()) return token(n);
    std::string raw = n.string(), out;
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 2 < raw.size()) ++i;
      out += raw[i];
    }
    return {out, loc(n)};
  }

  // `-X` outside the syscalls section: the removed name (a path unquoted), at the '-'.
  ast::Removal removal(const Node& n) const {
    return {token_unquoted(*n.children.at(0)), false, loc(n)};
  }

  ast::Group group(const Node& n) {
    ast::Group grp;
    grp.loc = loc(n);
    bool first = true;
    for (auto& c : n.children) {
      ast::Target t;
      t.is_group = c->is_type<g::group_ref>();
      t.name = t.is_group ? token(*c->children.at(0)) : token(*c);
      if (t.is_group) t.name.loc = loc(*c);  // point at the '@'
      if (first) {
        grp.name = t.name;
        first = false;
      } else {
        grp.members.push_back(std::move(t));
      }
    }
    return grp;
  }

  template <typename Section>
  void set_once(std::optional<Section>& slot, Section s, const char* what) {
    if (slot) {
      diags_.error(s.loc, std::string("duplicate '") + what + "' section in the policy",
                   {DiagnosticEngine::note(slot->loc, "the first one is here")});
      return;
    }
    slot = std::move(s);
  }

  ast::Policy policy(const Node& n) {
    ast::Policy p;
    p.loc = loc(n);
    for (auto& c : n.children) {
      const Node& s = *c;
      if (s.is_type<g::policy_name>()) {
        p.name = token(s);
      } else if (s.is_type<g::base_name>()) {
        p.bases.push_back(token(s));
      } else if (s.is_type<g::syscalls_section>()) {
        set_once(p.syscalls, syscalls(s), "syscalls");
      } else if (s.is_type<g::capabilities_section>()) {
        set_once(p.capabilities, capabilities(s), "capabilities");
      } else if (s.is_type<g::filesystem_section>()) {
        set_once(p.filesystem, filesystem(s), "filesystem");
      } else if (s.is_type<g::network_section>()) {
        set_once(p.network, network(s), "network");
      } else if (s.is_type<g::namespaces_section>()) {
        set_once(p.namespaces, namespaces(s), "namespaces");
      } else if (s.is_type<g::resources_section>()) {
        set_once(p.resources, settings(s), "resources");
      } else if (s.is_type<g::process_section>()) {
        set_once(p.process, settings(s), "process");
      } else if (s.is_type<g::rootfs_section>()) {
        set_once(p.rootfs, settings(s), "rootfs");
      } else if (s.is_type<g::devices_section>()) {
        set_once(p.devices, settings(s), "devices");
      } else if (s.is_type<g::sysctl_section>()) {
        set_once(p.sysctl, settings(s), "sysctl");
      }
    }
    return p;
  }

  // ---- syscalls ----
  ast::ActionSpec action(const Node& n) {
    ast::ActionSpec a;
    a.loc = loc(n);
    if (n.is_type<g::act_allow>())
      a.kind = "allow";
    else if (n.is_type<g::act_errno>())
      a.kind = "errno";
    else if (n.is_type<g::act_kill_process>())
      a.kind = "kill-process";
    else if (n.is_type<g::act_kill_thread>())
      a.kind = "kill-thread";
    else if (n.is_type<g::act_kill>())
      a.kind = "kill";
    else if (n.is_type<g::act_trap>())
      a.kind = "trap";
    else if (n.is_type<g::act_log>())
      a.kind = "log";
    else if (n.is_type<g::act_trace>())
      a.kind = "trace";
    else if (n.is_type<g::act_user_notify>())
      a.kind = "user-notify";
    if (!n.children.empty()) a.value = token(*n.children[0]);
    return a;
  }

  static bool is_action(const Node& n) {
    return n.is_type<g::act_allow>() || n.is_type<g::act_errno>() ||
           n.is_type<g::act_kill_process>() || n.is_type<g::act_kill_thread>() ||
           n.is_type<g::act_kill>() || n.is_type<g::act_trap>() || n.is_type<g::act_log>() ||
           n.is_type<g::act_trace>() || n.is_type<g::act_user_notify>();
  }

  ast::SyscallsSection syscalls(const Node& n) {
    ast::SyscallsSection s;
    s.loc = loc(n);
    for (auto& c : n.children) {
      if (c->is_type<g::default_clause>()) {
        s.default_action = action(*c->children.at(0));
      } else if (c->is_type<g::arch_clause>()) {
        for (auto& a : c->children) s.arches.push_back(token(*a));
      } else if (c->is_type<g::syscall_rule>()) {
        s.rules.push_back(rule(*c));
      } else if (c->is_type<g::syscall_removal>()) {
        const Node& target = *c->children.at(0);
        ast::Removal r{{}, target.is_type<g::group_ref>(), loc(*c)};
        r.name = token(r.is_group ? *target.children.at(0) : target);
        s.removals.push_back(std::move(r));
      }
    }
    return s;
  }

  ast::SyscallRule rule(const Node& n) {
    ast::SyscallRule r;
    r.loc = loc(n);
    for (auto& c : n.children) {
      if (is_action(*c)) {
        r.action = action(*c);
      } else if (c->is_type<g::group_ref>()) {
        ast::Target t;
        t.is_group = true;
        t.name = token(*c->children.at(0));
        t.name.loc = loc(*c);
        r.targets.push_back(std::move(t));
      } else if (c->is_type<g::syscall_target>()) {
        ast::Target t;
        t.name = token(*c->children.at(0));
        if (c->children.size() > 1) t.cond = cond(*c->children[1]);
        r.targets.push_back(std::move(t));
      } else if (c->is_type<g::gate>()) {
        r.gates.push_back(gate(*c));
      }
    }
    return r;
  }

  ast::Gate gate(const Node& n) {
    ast::Gate gt;
    gt.loc = loc(n);
    for (auto& c : n.children) {
      if (c->is_type<g::gate_not>()) {
        gt.negated = true;
      } else if (c->is_type<g::gate_capability>()) {
        gt.kind = ast::Gate::Capability;
        gt.names.push_back(token(*c->children.at(0)));
      } else if (c->is_type<g::gate_arch>()) {
        gt.kind = ast::Gate::Arch;
        for (auto& a : c->children) gt.names.push_back(token(*a));
      } else if (c->is_type<g::gate_kernel>()) {
        gt.kind = ast::Gate::Kernel;
        gt.version = token(*c->children.at(0));
      }
    }
    return gt;
  }

  ast::Value value(const Node& n) {
    ast::Value v;
    v.loc = loc(n);
    for (auto& c : n.children) {
      if (c->is_type<g::value>()) {
        ast::Value inner = value(*c);
        for (auto& t : inner.terms) v.terms.push_back(std::move(t));
      } else {
        v.terms.push_back(token(*c));
      }
    }
    return v;
  }

  ast::CondExpr cond(const Node& n) {
    ast::CondExpr e;
    e.loc = loc(n);
    if (n.is_type<g::cond>() || n.is_type<g::cond_and>()) {
      if (n.children.size() == 1) return cond(*n.children[0]);
      e.kind = n.is_type<g::cond>() ? ast::CondExpr::Or : ast::CondExpr::And;
      for (auto& c : n.children) e.operands.push_back(cond(*c));
      return e;
    }
    if (n.is_type<g::cond_not>()) {
      e.kind = ast::CondExpr::Not;
      e.operands.push_back(cond(*n.children.at(0)));
      return e;
    }
    // comparison: argument, then one tail
    const Node& arg = *n.children.at(0);
    if (arg.is_type<g::u32_arg>()) {
      e.arg.u32 = true;
      e.arg.name = token(*arg.children.at(0));
    } else {
      e.arg.name = token(arg);
    }
    const Node& tail = *n.children.at(1);
    if (tail.is_type<g::cmp_tail>()) {
      e.kind = ast::CondExpr::Compare;
      e.op = tail.children.at(0)->string();
      e.values.push_back(value(*tail.children.at(1)));
    } else if (tail.is_type<g::masked_tail>()) {
      e.kind = ast::CondExpr::Masked;
      e.mask = value(*tail.children.at(0));
      e.values.push_back(value(*tail.children.at(1)));
    } else {
      e.kind = tail.is_type<g::in_tail>() ? ast::CondExpr::In : ast::CondExpr::NotIn;
      for (auto& c : tail.children) e.values.push_back(value(*c));
    }
    return e;
  }

  // ---- capabilities ----
  ast::CapabilitiesSection capabilities(const Node& n) {
    ast::CapabilitiesSection s;
    s.loc = loc(n);
    for (auto& c : n.children) {
      if (c->is_type<g::cap_removal>()) {
        s.removals.push_back(removal(*c));
        continue;
      }
      ast::CapItem item;
      item.loc = loc(*c);
      for (auto& k : c->children) {
        if (k->is_type<g::cap_verb>())
          item.verb = k->string();
        else if (k->is_type<g::cap_all>())
          item.set = ast::CapItem::All;
        else if (k->is_type<g::cap_none>())
          item.set = ast::CapItem::None;
        else if (k->is_type<g::cap_name>())
          item.caps.push_back(token(*k));
      }
      s.items.push_back(std::move(item));
    }
    return s;
  }

  // ---- filesystem ----
  ast::FilesystemSection filesystem(const Node& n) {
    ast::FilesystemSection s;
    s.loc = loc(n);
    for (auto& c : n.children) {
      if (c->is_type<g::fs_removal>()) {
        s.removals.push_back(removal(*c));
        continue;
      }
      ast::FsItem item;
      item.loc = loc(*c);
      for (auto& k : c->children) {
        const Node& r = *k;
        if (r.is_type<g::deny>()) {
          item.deny = true;
        } else if (r.is_type<g::fs_allow_all>()) {
          item.kind = ast::FsItem::AllowAll;
        } else if (r.is_type<g::fs_mount>() || r.is_type<g::fs_umount>()) {
          item.kind = r.is_type<g::fs_mount>() ? ast::FsItem::Mount : ast::FsItem::Umount;
          if (!r.children.empty()) item.text = token_unquoted(*r.children[0]).text;
        } else if (r.is_type<g::fs_signal>() || r.is_type<g::fs_ptrace>()) {
          item.kind = r.is_type<g::fs_signal>() ? ast::FsItem::Signal : ast::FsItem::Ptrace;
          for (auto& p : r.children) {
            if (p->is_type<g::perm_word>())
              item.perms.push_back(token(*p));
            else if (p->is_type<g::peer_clause>())
              item.peer = token_unquoted(*p->children.at(0));
          }
        } else if (r.is_type<g::fs_access>()) {
          item.kind = ast::FsItem::Access;
          for (auto& p : r.children) {
            if (p->is_type<g::access_word>())
              item.access.push_back(token(*p));
            else if (p->is_type<g::path>())
              item.paths.push_back(token_unquoted(*p));
          }
        }
      }
      s.items.push_back(std::move(item));
    }
    return s;
  }

  // ---- network ----
  ast::NetworkSection network(const Node& n) {
    ast::NetworkSection s;
    s.loc = loc(n);
    for (auto& c : n.children) {
      ast::NetItem item;
      item.loc = loc(*c);
      for (auto& k : c->children) {
        const Node& r = *k;
        if (r.is_type<g::deny>()) {
          item.deny = true;
        } else if (r.is_type<g::net_all>()) {
          item.kind = ast::NetItem::All;
        } else if (r.is_type<g::net_scope>()) {
          item.kind = ast::NetItem::Scope;
          item.scope = token(*r.children.at(0));
        } else if (r.is_type<g::net_family>()) {
          item.kind = ast::NetItem::Family;
          item.family = token(*r.children.at(0));
          if (r.children.size() > 1) item.type = token(*r.children[1]);
        } else if (r.is_type<g::net_bind>() || r.is_type<g::net_connect>()) {
          item.kind = r.is_type<g::net_bind>() ? ast::NetItem::Bind : ast::NetItem::Connect;
          for (auto& p : r.children) {
            ast::PortRange pr;
            pr.first = token(*p->children.at(0));
            if (p->children.size() > 1) pr.last = token(*p->children[1]);
            item.ports.push_back(std::move(pr));
          }
        }
      }
      s.items.push_back(std::move(item));
    }
    return s;
  }

  // ---- namespaces ----
  ast::NamespacesSection namespaces(const Node& n) {
    ast::NamespacesSection s;
    s.loc = loc(n);
    for (auto& c : n.children) {
      if (c->is_type<g::ns_removal>()) {
        s.removals.push_back(removal(*c));
        continue;
      }
      ast::NsItem item;
      item.loc = loc(*c);
      if (c->is_type<g::ns_map>()) {
        item.kind =
            c->children.at(0)->string() == "uidmap" ? ast::NsItem::UidMap : ast::NsItem::GidMap;
        for (size_t i = 1; i < c->children.size(); ++i)
          item.numbers.push_back(token(*c->children[i]));
      } else {
        item.name = token(*c->children.at(0));
        if (c->children.size() > 1) {
          const Node& how = *c->children[1];
          if (how.is_type<g::ns_container_name>())
            item.container = token(how);
          else if (how.is_type<g::ns_host>())
            item.host = true;
          else
            item.join = token_unquoted(how);
        }
      }
      s.items.push_back(std::move(item));
    }
    return s;
  }

  // ---- resources, process, rootfs: keyword + operands ----
  ast::SettingsSection settings(const Node& n) {
    ast::SettingsSection s;
    s.loc = loc(n);
    for (auto& c : n.children) {
      if (c->is_type<g::root_removal>()) {
        s.removals.push_back(removal(*c));
        continue;
      }
      ast::Setting item;
      item.loc = loc(*c);
      item.key = keyword_of(*c);
      for (auto& k : c->children) {
        if (k->is_type<g::mount_opt>())
          item.options.push_back(token(*k));
        else
          item.values.push_back(token_unquoted(*k));
      }
      s.items.push_back(std::move(item));
    }
    return s;
  }

  // The leading keyword of a setting, as written (e.g. "cpu.quota", "readonly-paths").
  static std::string keyword_of(const Node& n) {
    std::string text = n.string();
    size_t end = 0;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                                 text[end] == '_' || text[end] == '.' || text[end] == '-'))
      ++end;
    return text.substr(0, end);
  }
};

}  // namespace

std::optional<ast::File> parse_policy_text(const std::string& file_name, const std::string& text,
                                           DiagnosticEngine& diags) {
  diags.add_source(file_name, text);
  // No source name: PEGTL copies it into every node it tries, and locations name file_name
  // themselves (TreeWalker::loc, the parse_error handler below).
  pegtl::memory_input in(text.data(), text.size(), "");
  try {
    Nesting nesting;
    auto root = pegtl::parse_tree::parse<g::file, selector, pegtl::nothing, control>(in, nesting);
    if (!root) {
      diags.error({file_name, 1, 1}, "expected 'policy', 'group' or 'include'");
      return std::nullopt;
    }
    unsigned before = diags.error_count();
    TreeWalker walker(file_name, diags);
    ast::File f = walker.file(*root);
    if (diags.error_count() != before) return std::nullopt;
    return f;
  } catch (const pegtl::parse_error& e) {
    const auto& p = e.positions().front();
    diags.error({file_name, static_cast<unsigned>(p.line), static_cast<unsigned>(p.column)},
                std::string(e.message()));
    return std::nullopt;
  }
}

}  // namespace policy::frontend
