#include "compiler/importer/pol_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::importer {

namespace {

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string number(uint64_t v) {
  return v < 4096 ? std::to_string(v) : hex(v);
}

std::string arg_text(const std::string& syscall, const ir::Comparison& c) {
  // The prototype's name when the manual gives one for a value argument; else by position (the
  // manual's prototype of some calls, clone() among them, is the C library's wrapper).
  auto args = syscall_arg_names(syscall);
  std::string name = c.arg < args.size() && !syscall_arg_is_pointer(syscall, c.arg)
                         ? args[c.arg]
                         : "arg" + std::to_string(c.arg);
  return c.width == ir::ArgWidth::Bits32 ? "u32(" + name + ")" : name;
}

// The language's operator for a comparison ("&" part aside for a masked one).
const char* operator_text(ir::CmpOp op) {
  switch (op) {
    case ir::CmpOp::Ne:
      return " != ";
    case ir::CmpOp::Lt:
      return " < ";
    case ir::CmpOp::Le:
      return " <= ";
    case ir::CmpOp::Gt:
      return " > ";
    case ir::CmpOp::Ge:
      return " >= ";
    case ir::CmpOp::Eq:
    case ir::CmpOp::MaskedEq:
      break;
  }
  return " == ";
}

std::string comparison_text(const std::string& syscall, const ir::Comparison& c) {
  std::string a = arg_text(syscall, c);
  if (c.op == ir::CmpOp::MaskedEq) a += " & " + hex(c.mask);
  return a + operator_text(c.op) + number(c.value);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string strip_cap(const std::string& c) {
  return c.rfind("CAP_", 0) == 0 ? c.substr(4) : c;
}

}  // namespace

std::string gate_text(const ir::SyscallRule& r) {
  std::vector<std::string> gates;
  for (auto& c : r.requires_caps) gates.push_back("capability " + strip_cap(c));
  for (auto& c : r.unless_caps) gates.push_back("not capability " + strip_cap(c));
  auto arch_list = [](const std::vector<uint32_t>& v) {
    std::vector<std::string> n;
    for (uint32_t a : v) n.push_back(names::arch_name(a));
    return join(n, ", ");
  };
  if (!r.arches.empty()) gates.push_back("arch " + arch_list(r.arches));
  if (!r.not_arches.empty()) gates.push_back("not arch " + arch_list(r.not_arches));
  if (r.min_kernel)
    gates.push_back("kernel >= " + std::to_string(r.min_kernel->major) + "." +
                    std::to_string(r.min_kernel->minor));
  return gates.empty() ? "" : " when " + join(gates, " and ");
}

namespace {

std::string cap_list(uint64_t mask) {
  std::vector<std::string> n;
  for (int c = 0; c <= names::last_capability(); ++c)
    if ((mask >> c) & 1) n.push_back(strip_cap(names::capability_name(c)));
  return "{ " + join(n, ", ") + (n.empty() ? "}" : " }");
}

// "allow a, b, c" wrapped at `width`, continuation lines indented under the first name.
void write_wrapped(std::ostringstream& os, const std::string& indent, const std::string& lead,
                   const std::vector<std::string>& items, const std::string& tail, unsigned width) {
  std::string line = indent + lead;
  std::string cont(line.size(), ' ');
  for (size_t i = 0; i < items.size(); ++i) {
    std::string piece = items[i] + (i + 1 < items.size() ? "," : "");
    if (line.size() + 1 + piece.size() > width && line.size() > cont.size()) {
      os << line << "\n";
      line = cont;
    }
    line += (line.back() == ' ' ? "" : " ") + piece;
  }
  os << line << tail << "\n";
}

// True when the rule's capability gates hold for the kept (bounding) set.
bool capability_gates_hold(const ir::SyscallRule& r, uint64_t kept) {
  auto has = [&](const std::string& c) {
    auto n = names::capability_number(c);
    return n && ((kept >> *n) & 1);
  };
  for (auto& c : r.requires_caps)
    if (!has(c)) return false;
  for (auto& c : r.unless_caps)
    if (has(c)) return false;
  return true;
}

// The syscall rules, as group definitions (written before the policy) and the syscalls section.
struct SyscallText {
  std::string groups;
  std::string section;
};

void write_section_header(std::ostringstream& os, const ir::SeccompPolicy& s) {
  os << "  syscalls default " << seccomp::describe(s.default_action);
  if (s.arches != names::default_target_arches() && !s.arches.empty()) {
    std::vector<std::string> n;
    for (uint32_t a : s.arches) n.push_back(names::arch_name(a));
    os << " arch " << join(n, ", ");
  }
  os << " {\n";
}

// The rules to write, in order; `ignored` receives the ones libseccomp would ignore.
std::vector<const ir::SyscallRule*> rules_to_write(const ir::SeccompPolicy& s, uint64_t kept,
                                                   std::vector<std::string>& ignored) {
  // Active rules, and the rules only a capability gate switched off (written with their gate so
  // that a reader sees them and a different capability set brings them back). Rules dropped for
  // another reason (the host's architecture, the kernel, an action equal to the default) decide
  // nothing for this host and are left out, as Docker leaves them out.
  std::vector<const ir::SyscallRule*> all;
  for (auto& r : s.rules) all.push_back(&r);
  for (auto& r : s.inactive_rules)
    if (!capability_gates_hold(r, kept)) all.push_back(&r);
  // Two active rules for the same syscall and condition with different actions: libseccomp keeps
  // the first one added and ignores the other, so the written policy keeps the first too.
  std::map<std::string, const ir::SyscallRule*> first;
  std::vector<const ir::SyscallRule*> rules;
  for (const ir::SyscallRule* r : all) {
    if (!capability_gates_hold(*r, kept)) {
      rules.push_back(r);
      continue;
    }
    ir::SyscallRule ungated = *r;
    ungated.requires_caps.clear();
    ungated.unless_caps.clear();
    std::string key =
        r->syscall + "(" + condition_text(r->syscall, r->args) + ")" + gate_text(ungated);
    auto [it, inserted] = first.emplace(key, r);
    if (!inserted && !(it->second->action == r->action)) {
      ignored.push_back(seccomp::describe(r->action) + " " + r->syscall + " (" +
                        seccomp::describe(it->second->action) + " comes first)");
      continue;
    }
    rules.push_back(r);
  }
  return rules;
}

void write_unconditional(std::ostringstream& os, std::ostringstream& gs,
                         const std::vector<const ir::SyscallRule*>& rules,
                         const ir::SeccompPolicy& s, const std::string& policy_name,
                         unsigned width) {
  // Unconditional rules with the same action and gates share one line; long lists become a named
  // group defined before the policy. Conditional rules keep their own line so their order (which
  // decides) is preserved.
  std::vector<std::pair<std::string, std::vector<std::string>>> lines;  // in first-seen order
  std::map<std::string, size_t> index;
  for (const ir::SyscallRule* r : rules) {
    if (!r->args.empty()) continue;
    std::string key = seccomp::describe(r->action) + "|" + gate_text(*r);
    auto it = index.find(key);
    if (it == index.end()) it = index.emplace(key, lines.size()).first, lines.push_back({key, {}});
    auto& v = lines[it->second].second;
    if (std::find(v.begin(), v.end(), r->syscall) == v.end()) v.push_back(r->syscall);
  }
  unsigned group_no = 0;
  for (auto& [key, syscalls] : lines) {
    std::sort(syscalls.begin(), syscalls.end());
    size_t bar = key.find('|');
    std::string action = key.substr(0, bar), gate = key.substr(bar + 1);
    // A group also keeps -Wsyscall-missing-on-arch quiet for names some target arch lacks
    // (the rule is skipped there, as libseccomp skips it).
    std::vector<uint32_t> targets = s.arches.empty() ? names::default_target_arches() : s.arches;
    bool partial = std::any_of(syscalls.begin(), syscalls.end(), [&](const std::string& n) {
      return std::any_of(targets.begin(), targets.end(),
                         [&](uint32_t a) { return !names::syscall_number(n, a); });
    });
    if (syscalls.size() >= 8 || partial) {
      std::string g = "@" + policy_name + "-" + std::to_string(++group_no);
      gs << "# " << action << gate << "\n";
      write_wrapped(gs, "", "group " + g + " {", syscalls, " }", width);
      gs << "\n";
      os << "    " << action << " " << g << gate << "\n";
    } else {
      write_wrapped(os, "    ", action, syscalls, gate, width);
    }
  }
}

void write_conditional(std::ostringstream& os, const std::vector<const ir::SyscallRule*>& rules) {
  // Adjacent conditional rules for the same syscall, action and gates read as one rule: their
  // conditions are or-ed (the same decision, since no other rule can come between them).
  for (size_t i = 0; i < rules.size(); ++i) {
    const ir::SyscallRule* r = rules[i];
    if (r->args.empty()) continue;
    ir::Condition merged = r->args;
    while (i + 1 < rules.size() && !rules[i + 1]->args.empty() &&
           rules[i + 1]->syscall == r->syscall && rules[i + 1]->action == r->action &&
           gate_text(*rules[i + 1]) == gate_text(*r)) {
      ++i;
      merged.insert(merged.end(), rules[i]->args.begin(), rules[i]->args.end());
    }
    os << "    " << seccomp::describe(r->action) << " " << r->syscall << "("
       << condition_text(r->syscall, merged) << ")" << gate_text(*r) << "\n";
  }
}

SyscallText write_syscalls(const std::string& policy_name, const ir::SeccompPolicy& s,
                           uint64_t kept, unsigned width) {
  std::ostringstream os, gs;
  write_section_header(os, s);
  std::vector<std::string> ignored;
  std::vector<const ir::SyscallRule*> rules = rules_to_write(s, kept, ignored);
  for (const std::string& i : ignored)
    os << "    # ignored, as libseccomp ignores a second rule for the same call: " << i << "\n";
  write_unconditional(os, gs, rules, s, policy_name, width);
  write_conditional(os, rules);
  os << "  }\n";
  return {gs.str(), os.str()};
}

void write_capabilities(std::ostringstream& os, const ir::CapabilitySets& c) {
  // An import that says nothing about capabilities (an AppArmor profile's `capability,` leaves
  // them to the runtime) writes no section rather than `keep {}`, which would drop them all.
  if (!c.loc.known() && c.bounding == 0 && c.permitted == 0 && c.effective == 0 &&
      c.inheritable == 0 && c.ambient == 0)
    return;
  if (c.bounding == c.permitted && c.bounding == c.effective && c.inheritable == 0 &&
      c.ambient == 0) {
    std::vector<std::string> n;
    for (int cap = 0; cap <= names::last_capability(); ++cap)
      if ((c.bounding >> cap) & 1) n.push_back(strip_cap(names::capability_name(cap)));
    if (n.empty())
      os << "  capabilities keep {}\n";
    else
      write_wrapped(os, "  ", "capabilities keep {", n, " }", 100);
    return;
  }
  os << "  capabilities {\n";
  os << "    bounding " << cap_list(c.bounding) << "\n";
  os << "    permitted " << cap_list(c.permitted) << "\n";
  os << "    effective " << cap_list(c.effective) << "\n";
  os << "    inheritable " << cap_list(c.inheritable) << "\n";
  os << "    ambient " << cap_list(c.ambient) << "\n";
  os << "  }\n";
}

// AppArmor letters for a path rule; an exec rule keeps its mode (px, ux, cx ...), which the
// language reads back as written.
std::string access_text(const ir::PathRule& r) {
  std::string s;
  if (r.access & ir::kRead) s += 'r';
  if (r.access & ir::kWrite) s += 'w';
  if (r.access & ir::kAppend) s += 'a';
  if (r.access & ir::kMap) s += 'm';
  if (r.access & ir::kLock) s += 'k';
  if (r.access & ir::kLink) s += 'l';
  if (r.access & ir::kExec) {
    // The mode's letters; a named target (`Cx -> child`) has no spelling in the language and is
    // written as a comment by the caller. A deny rule refuses every exec: plain x, no mode.
    std::string mode = r.deny ? "" : r.exec_mode.substr(0, r.exec_mode.find(' '));
    if (mode.empty() || mode.back() != 'x') mode += 'x';
    s += mode;
  }
  return s;
}

std::string peer_text(const std::string& peer) {
  if (peer.empty()) return "";
  bool plain = std::all_of(peer.begin(), peer.end(), [](char ch) {
    return std::isalnum((unsigned char)ch) || ch == '-' || ch == '_';
  });
  return " peer=" + (plain ? peer : "\"" + peer + "\"");
}

void write_filesystem(std::ostringstream& os, const ir::FilesystemPolicy& f) {
  if (!f.specified) return;
  os << "  filesystem {\n";
  if (f.allow_all_files) os << "    allow all\n";
  for (auto& r : f.rules) {
    os << "    " << (r.deny ? "deny " : "") << access_text(r) << " " << r.pattern;
    if (size_t arrow = r.exec_mode.find("->"); arrow != std::string::npos)
      os << "  # AppArmor exec target "
         << r.exec_mode.substr(r.exec_mode.find_first_not_of(" ", arrow + 2))
         << " (not expressible)";
    os << "\n";
  }
  for (auto& m : f.mount_rules)
    os << "    " << (m.deny ? "deny " : "") << m.kind << (m.text.empty() ? "" : " " + m.text)
       << "\n";
  for (auto& s : f.signal_rules)
    os << "    " << (s.deny ? "deny " : "") << "signal (" << join(s.perms, ", ") << ")"
       << peer_text(s.peer) << "\n";
  for (auto& p : f.ptrace_rules)
    os << "    " << (p.deny ? "deny " : "") << "ptrace (" << join(p.perms, ", ") << ")"
       << peer_text(p.peer) << "\n";
  os << "  }\n";
}

void write_network(std::ostringstream& os, const ir::NetworkPolicy& n) {
  if (!n.specified) return;
  os << "  network {\n";
  for (auto& s : n.sockets) {
    os << "    " << (s.deny ? "deny " : "");
    if (s.family.empty())
      os << "all";
    else
      os << s.family << (s.type.empty() ? "" : " " + s.type);
    os << "\n";
  }
  for (auto& p : n.ports) {
    os << "    " << (p.deny ? "deny " : "") << (p.kind == ir::PortRule::Bind ? "bind" : "connect")
       << " " << p.protocol << " " << p.first;
    if (p.last != p.first) os << "-" << p.last;
    os << "\n";
  }
  if (n.scope_abstract_unix) os << "    scope abstract-unix\n";
  if (n.scope_signals) os << "    scope signals\n";
  os << "  }\n";
}

}  // namespace

std::string condition_text(const std::string& syscall, const ir::Condition& c) {
  // Every conjunction one equality on the same argument: `arg in {a, b, c}`.
  bool in_set = c.size() > 1;
  for (const ir::Conjunction& conj : c)
    in_set = in_set && conj.size() == 1 && conj[0].op == ir::CmpOp::Eq &&
             conj[0].arg == c[0][0].arg && conj[0].width == c[0][0].width;
  if (in_set) {
    std::vector<std::string> values;
    for (const ir::Conjunction& conj : c) values.push_back(number(conj[0].value));
    return arg_text(syscall, c[0][0]) + " in {" + join(values, ", ") + "}";
  }
  std::vector<std::string> disj;
  for (const ir::Conjunction& conj : c) {
    std::vector<std::string> parts;
    for (const ir::Comparison& cmp : conj) parts.push_back(comparison_text(syscall, cmp));
    std::string t = join(parts, " and ");
    disj.push_back(c.size() > 1 && conj.size() > 1 ? "(" + t + ")" : t);
  }
  return join(disj, " or ");
}

std::string write_policy(const ir::Policy& p, const WriterOptions& o) {
  std::ostringstream os;
  if (!o.header_comment.empty()) {
    std::istringstream is(o.header_comment);
    for (std::string line; std::getline(is, line);) os << "# " << line << "\n";
  }
  std::string name = p.name.empty() ? "imported" : p.name;
  SyscallText sys = write_syscalls(name, p.seccomp, p.capabilities.bounding, o.width);
  if (!o.include.empty()) os << "include \"" << o.include << "\"\n\n";
  os << sys.groups;
  os << "policy " << name << (o.base.empty() ? "" : " extends " + o.base) << " {\n";
  os << sys.section;
  write_capabilities(os, p.capabilities);
  write_filesystem(os, p.filesystem);
  write_network(os, p.network);
  os << "}\n";
  return os.str();
}

}  // namespace policy::importer
