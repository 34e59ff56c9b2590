#include "runtime/learn/writer.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/importer/pol_writer.hpp"
#include "compiler/ir/describe.hpp"
#include "runtime/learn/paths.hpp"
#include "runtime/learn/values.hpp"

namespace policy::learn {

namespace {

namespace fs = std::filesystem;

constexpr const char* kDataPrefix = "# learn-data: ";
constexpr size_t kDataChunk = 86;  // JSON characters per line (100 columns with the prefix)
constexpr unsigned kWidth = 100;

std::string plural(uint64_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string seen_by(const First& f) {
  return "first by " + (f.command.empty() ? std::string("?") : f.command) + " (pid " +
         std::to_string(f.pid) + ")";
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// `lead` followed by `items` separated by ", ", wrapped at kWidth under the first item.
std::string wrapped(const std::string& indent, const std::string& lead,
                    const std::vector<std::string>& items) {
  std::string out, line = indent + lead;
  const std::string cont(line.size(), ' ');
  for (size_t i = 0; i < items.size(); ++i) {
    std::string piece = items[i] + (i + 1 < items.size() ? "," : "");
    if (line.size() > cont.size() && line.size() + 1 + piece.size() > kWidth) {
      out += line + "\n";
      line = cont + piece;
    } else {
      line += (line.size() > cont.size() ? " " : "") + piece;
    }
  }
  return out + line + "\n";
}

std::string with_comment(const std::string& rule, const std::string& comment) {
  std::string line = rule;
  if (line.size() < 44) line.resize(44, ' ');
  return line + "  # " + comment + "\n";
}

// A syscall as learned over every architecture.
struct Learned {
  uint64_t count = 0;
  First first;
  std::set<uint32_t> arches;
  int arg = -1;
  std::set<uint64_t> values;
  bool too_many_values = false;
  bool conditional() const { return arg >= 0 && !too_many_values && !values.empty(); }
};

bool permits(const ir::Action& a) {
  return a.kind == ir::ActionKind::Allow || a.kind == ir::ActionKind::Log;
}

// The condition the learned rule writes: one equality per value seen.
ir::Condition learned_condition(const Learned& l) {
  ir::Condition c;
  for (uint64_t v : l.values) {
    ir::Comparison cmp;
    cmp.arg = static_cast<unsigned>(l.arg);
    cmp.value = v;
    c.push_back({cmp});
  }
  return c;
}

bool same_condition(ir::Condition a, ir::Condition b) {
  auto key = [](ir::Condition& c) {
    for (auto& conj : c)
      std::sort(conj.begin(), conj.end(), [](const auto& x, const auto& y) {
        return std::tie(x.arg, x.op, x.value, x.mask) < std::tie(y.arg, y.op, y.value, y.mask);
      });
    std::sort(c.begin(), c.end(), [](const auto& x, const auto& y) {
      return x.size() != y.size() ? x.size() < y.size()
                                  : (x.empty() ? false : x[0].value < y[0].value);
    });
  };
  key(a);
  key(b);
  return a == b;
}

std::string relative_to(const std::string& file, const std::string& from_file) {
  std::error_code ec;
  fs::path target = fs::absolute(file, ec).lexically_normal();
  fs::path dir = fs::absolute(from_file, ec).lexically_normal().parent_path();
  // Relative when the file is beside or below the learned policy (the two move together),
  // else absolute.
  fs::path rel = target.lexically_relative(dir);
  return rel.empty() || rel.begin()->string() == ".." ? target.string() : rel.string();
}

class Writer {
 public:
  explicit Writer(const WriterInput& in)
      : in_(in),
        seen_(*in.seen),
        base_(*in.base),
        name_(learned_policy_name(in.out_file, in.base->name)) {
    for (const auto& [arch, calls] : seen_.syscalls) {
      auto token = names::arch_token(arch);
      if (!token) continue;
      for (const auto& [sys, s] : calls) {
        Learned& l = learned_[sys];
        if (l.count == 0) l.first = s.first;
        l.count += s.count;
        l.arches.insert(*token);
        if (s.arg >= 0) l.arg = s.arg;
        l.too_many_values = l.too_many_values || s.too_many_values;
        l.values.insert(s.values.begin(), s.values.end());
      }
    }
    // The targets: the arches the program ran on, in the base's order.
    for (uint32_t a : base_.seccomp.arches)
      for (const auto& [sys, l] : learned_)
        if (l.arches.count(a) && std::find(targets_.begin(), targets_.end(), a) == targets_.end())
          targets_.push_back(a);
    if (targets_.empty()) targets_ = base_.seccomp.arches;
    kernel_ = base_.seccomp.target_kernel ? *base_.seccomp.target_kernel
                                          : frontend::host_kernel_version();
    refusal_ = permits(base_.seccomp.default_action) ? ir::Action{ir::ActionKind::Errno, 1}
                                                     : base_.seccomp.default_action;
    for (const auto& [arch, names] : seen_.runtime_syscalls)
      runtime_.insert(names.begin(), names.end());
  }

  std::string text() {
    std::ostringstream os;
    std::string syscalls = syscalls_section();
    os << "# Learned by `policyrun --learn` from " << plural(seen_.runs, "run", "runs") << " under "
       << base_.name << " (docs/learn.md).\n"
       << "# Review every rule before enforcing it: each comment says what was seen. Not "
          "learned:\n"
       << "# capabilities (no kernel event says which one a call needed: " << base_.name
       << "'s are kept),\n"
       << "# namespaces, mounts, resources and the process settings (all " << base_.name
       << "'s).\n";
    os << "include \"" << relative_to(in_.base_file, in_.out_file) << "\"\n";
    if (in_.groups && !in_.groups->include.empty() && uses_groups_)
      os << "include \"" << relative_to(in_.groups->include, in_.out_file) << "\"\n";
    os << "\n" << not_seen_group_;
    os << "policy " << name_ << " extends " << base_.name << " {\n";
    os << syscalls << filesystem_section() << network_section() << "}\n";
    os << learn_data_block(seen_);
    return os.str();
  }

 private:
  const WriterInput& in_;
  const Observations& seen_;
  const ir::Policy& base_;
  std::string name_;
  std::map<std::string, Learned> learned_;
  std::set<std::string> runtime_;
  std::vector<uint32_t> targets_;
  ir::KernelVersion kernel_;
  ir::Action refusal_;
  bool uses_groups_ = false;
  std::string not_seen_group_;

  bool exists_on_all_targets(const std::string& sys) const {
    for (uint32_t a : targets_)
      if (!names::syscall_number(sys, a)) return false;
    return true;
  }
  bool exists_on_some_target(const std::string& sys) const {
    for (uint32_t a : targets_)
      if (names::syscall_number(sys, a)) return true;
    return false;
  }
  bool applies_on_some_target(const ir::SyscallRule& r) const {
    for (uint32_t a : targets_)
      if (ir::applies(r, a, kernel_)) return true;
    return false;
  }

  std::string arch_gate(const Learned& l) const {
    if (l.arches.size() == targets_.size()) return "";
    std::vector<std::string> n;
    for (uint32_t a : targets_)
      if (l.arches.count(a)) n.push_back(names::arch_name(a));
    return " when arch " + join(n, ", ");
  }

  std::string condition_text(const std::string& sys, const Learned& l) const {
    std::vector<std::string> values;
    for (uint64_t v : l.values) values.push_back(value_text(sys, l.arg, v));
    std::string arg = argument_name(sys, l.arg);
    return values.size() == 1 ? arg + " == " + values[0] : arg + " in {" + join(values, ", ") + "}";
  }

  // Groups the program used whole (every member that exists on every target arch), largest
  // first; their members are then not listed by name.
  std::vector<std::string> whole_groups(std::set<std::string>& covered) {
    std::vector<std::string> out;
    if (!in_.groups) return out;
    std::set<std::string> plain;
    for (const auto& [sys, l] : learned_)
      if (!l.conditional() && l.arches.size() == targets_.size()) plain.insert(sys);
    std::vector<std::pair<std::string, std::vector<std::string>>> groups;
    for (const auto& [name, members] : in_.groups->members) {
      std::vector<std::string> present;
      for (const auto& m : members)
        if (exists_on_all_targets(m)) present.push_back(m);
      if (present.size() >= 2) groups.push_back({name, present});
    }
    std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
      return a.second.size() > b.second.size();
    });
    for (const auto& [name, present] : groups) {
      bool whole = true, adds = false;
      for (const auto& m : present) {
        whole = whole && plain.count(m);
        adds = adds || !covered.count(m);
      }
      if (!whole || !adds) continue;
      covered.insert(present.begin(), present.end());
      out.push_back(name);
    }
    return out;
  }

  std::string syscalls_section() {
    std::ostringstream os;
    std::vector<std::string> arch_names;
    for (uint32_t a : targets_) arch_names.push_back(names::arch_name(a));
    os << "  syscalls";
    if (permits(base_.seccomp.default_action)) os << " default " << ir::describe(refusal_);
    os << " arch " << join(arch_names, ", ") << " {\n";
    uint64_t calls = 0;
    for (const auto& [sys, l] : learned_) calls += l.count;
    os << "    # " << plural(learned_.size(), "syscall", "syscalls") << ", "
       << plural(calls, "call", "calls") << " on " << join(arch_names, ", ")
       << "; only these run (the program's own calls, from its first execve on).\n";

    std::set<std::string> covered;
    for (const std::string& g : whole_groups(covered)) {
      uses_groups_ = true;
      uint64_t n = 0;
      First first;
      size_t members = 0;
      for (const auto& m : in_.groups->members.at(g)) {
        auto it = learned_.find(m);
        if (it == learned_.end()) continue;
        if (n == 0) first = it->second.first;
        n += it->second.count;
        ++members;
      }
      os << with_comment("    allow @" + g,
                         "the whole group: " + plural(members, "syscall", "syscalls") + ", " +
                             plural(n, "call", "calls"));
    }
    for (const auto& [sys, l] : learned_) {
      if (covered.count(sys)) continue;
      std::string rule = "    allow " + sys;
      if (l.conditional()) rule += "(" + condition_text(sys, l) + ")";
      std::string comment = plural(l.count, "call", "calls") + ", " + seen_by(l.first);
      if (l.too_many_values)
        comment += "; more than " + std::to_string(kMaxArgValues) + " distinct " +
                   argument_name(sys, l.arg) + " values, so every value";
      os << with_comment(rule + arch_gate(l), comment);
    }
    if (!seen_.enosys.empty()) {
      std::vector<std::string> n;
      for (const auto& [sys, count] : seen_.enosys)
        n.push_back(sys + " (" + std::to_string(count) + ")");
      os << wrapped("    ",
                    "# Answered ENOSYS as " + base_.name + " says (the C library falls back): ", n);
    }
    os << overrides();
    os << "  }\n";
    return os.str();
  }

  // The base's permitting rules for what the program did not do, replaced by the refusal (a rule
  // of a derived policy replaces its base's rule for the same syscall, condition and gates).
  std::string overrides() {
    const std::string action = ir::describe(refusal_);
    std::set<std::string> group;
    std::ostringstream direct;
    for (const ir::SyscallRule& r : base_.seccomp.rules) {
      if (!permits(r.action) || !applies_on_some_target(r) || !exists_on_some_target(r.syscall))
        continue;
      if (runtime_.count(r.syscall) || seen_.enosys.count(r.syscall)) continue;
      auto it = learned_.find(r.syscall);
      bool seen = it != learned_.end();
      if (seen && !it->second.conditional()) continue;  // the learned `allow S` covers every call
      if (r.args.empty()) {
        if (!seen && r.arches.empty() && r.not_arches.empty() && !r.min_kernel) {
          group.insert(r.syscall);
          continue;
        }
        direct << with_comment("    " + action + " " + r.syscall + importer::gate_text(r),
                               seen ? "only the values above" : "never called");
        continue;
      }
      if (seen && same_condition(r.args, learned_condition(it->second))) continue;
      direct << "    " << action << " " << r.syscall << "("
             << importer::condition_text(r.syscall, r.args) << ")" << importer::gate_text(r)
             << "\n";
    }
    std::ostringstream os;
    if (group.empty() && direct.str().empty()) return "";
    os << "\n    # What " << base_.name << " allows and the learned runs never did: refused.\n";
    if (!group.empty()) {
      std::string g = name_ + "-not-seen";
      not_seen_group_ =
          "# Syscalls " + base_.name + " allows that the learned runs never called.\n" +
          wrapped("", "group @" + g + " { ", std::vector<std::string>(group.begin(), group.end())) +
          "}\n\n";
      os << "    " << action << " @" << g << "\n";
    }
    os << direct.str();
    return os.str();
  }

  // Landlock needs no_new_privs or CAP_SYS_ADMIN (docs/landlock.md): a base that keeps neither
  // can enforce no rule that only Landlock enforces, and the launch would fail on one.
  bool landlock_possible() const {
    auto sys_admin = names::capability_number("SYS_ADMIN");
    return base_.process.no_new_privileges ||
           (sys_admin && (base_.capabilities.effective >> *sys_admin) & 1);
  }
  std::string no_landlock_reason() const {
    return base_.name +
           " keeps no_new_privileges off and drops SYS_ADMIN, so Landlock, which "
           "enforces this, cannot be applied";
  }

  std::string filesystem_section() const {
    std::vector<std::string> skipped;
    auto paths = learned_paths(seen_.files, &skipped);
    if (paths.empty() && skipped.empty()) return "";
    std::ostringstream os;
    if (!landlock_possible() && !base_.filesystem.allow_all_files) {
      os << "\n  # Files seen (not written as rules: " << no_landlock_reason() << "):\n";
      for (const LearnedPath& p : paths)
        os << "  #   " << access_words(p.use) << " " << p.pattern << "\n";
      return os.str();
    }
    os << "\n  filesystem {\n";
    os << "    # " << plural(seen_.files.size(), "file", "files")
       << " opened; globs by the rules of docs/learn.md (\"Globs\").\n";
    std::stable_sort(paths.begin(), paths.end(), [](const LearnedPath& a, const LearnedPath& b) {
      return std::tie(a.use, a.pattern) < std::tie(b.use, b.pattern);
    });
    for (const LearnedPath& p : paths) {
      std::string comment = plural(p.count, "access", "accesses");
      if (p.files > 1)
        comment = plural(p.files, "file", "files") + ", " + comment + ", e.g. " + p.example;
      os << with_comment("    " + access_words(p.use) + " " + p.pattern,
                         comment + ", " + seen_by(p.first));
    }
    for (const std::string& s : skipped)
      os << "    # not a rule (not a plain absolute path: glob characters, spaces, relative): " << s
         << "\n";
    os << "  }\n";
    return os.str();
  }

  std::string network_section() const {
    static const std::set<std::string> kTypes = {"stream",    "dgram", "raw",
                                                 "seqpacket", "rdm",   "packet"};
    std::ostringstream rules;
    auto lower = [](std::string s) {
      for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    for (const auto& [key, s] : seen_.sockets) {
      auto family = constant_named("AF_", static_cast<uint64_t>(key.first));
      if (!family) continue;
      std::string text = lower(family->substr(3));
      if (auto type = constant_named("SOCK_", static_cast<uint64_t>(key.second))) {
        std::string t = lower(type->substr(5));
        if (kTypes.count(t)) text += " " + t;
      }
      rules << with_comment("    " + text,
                            plural(s.count, "socket", "sockets") + ", " + seen_by(s.first));
    }
    for (const auto& [key, p] : seen_.ports) {
      const auto& [kind, protocol, port] = key;
      std::string text = kind + " " + protocol + " " + std::to_string(port);
      std::string comment = plural(p.count, "call", "calls") + ", " + seen_by(p.first);
      if (protocol != "tcp")
        rules << "    # " << text << ": " << comment << " (port rules are TCP only)\n";
      else if (!landlock_possible())
        rules << "    # " << text << ": " << comment << " (not a rule: " << no_landlock_reason()
              << ")\n";
      else
        rules << with_comment("    " + text, comment);
    }
    if (rules.str().empty()) return "";
    return "\n  network {\n" + rules.str() + "  }\n";
  }
};

}  // namespace

std::string learned_policy_name(const std::string& out_file, const std::string& base_name) {
  std::string stem = fs::path(out_file).stem().string();
  for (char& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '-';
  if (stem.empty() || !(std::isalpha(static_cast<unsigned char>(stem[0])) || stem[0] == '_'))
    stem = "learned-" + stem;
  if (stem == base_name) stem += "-learned";
  return stem;
}

std::string learn_data_block(const Observations& seen) {
  std::string json = to_json(seen).dump(-1, ' ', true);
  std::string out;
  for (size_t i = 0; i < json.size(); i += kDataChunk)
    out += kDataPrefix + json.substr(i, kDataChunk) + "\n";
  return out;
}

std::optional<Observations> read_learn_data(const std::string& text, const std::string& where) {
  std::istringstream is(text);
  std::string json;
  bool found = false;
  const std::string prefix = kDataPrefix;
  for (std::string line; std::getline(is, line);)
    if (line.rfind(prefix, 0) == 0) {
      json += line.substr(prefix.size());
      found = true;
    }
  if (!found) return std::nullopt;
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded())
    throw Error(where +
                ": the '# learn-data:' lines are not valid JSON; remove them (or the "
                "file) to start afresh");
  return from_json(j, where);
}

std::string write_learned_policy(const WriterInput& in) {
  return Writer(in).text();
}

}  // namespace policy::learn
