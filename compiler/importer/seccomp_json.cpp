// Docker / OCI seccomp JSON into the IR, following what Docker (moby/profiles seccomp
// setupSeccomp) and runc (libcontainer/seccomp matchCall) do with each field.
#include "compiler/importer/seccomp_json.hpp"

#include <algorithm>
#include <cstdio>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/ir/describe.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::importer {

namespace {

using nlohmann::json;

constexpr const char* kUnknownSyscall = "unknown-syscall";
constexpr const char* kJsonProfile = "json-profile";

struct Reader {
  const JsonImportOptions& opt;
  DiagnosticEngine& diags;
  SourceLoc loc() const { return SourceLoc{opt.file_name, 0, 0}; }
  void error(const std::string& m) { diags.error(loc(), m); }
  void warning(const char* name, const std::string& m) { diags.warning(name, loc(), m); }
};

// SCMP_ACT_* (with its errnoRet) as runc's getAction reads it. ERRNO and TRACE without errnoRet
// return EPERM, as runc does; SCMP_ACT_KILL is kill-thread, as in libseccomp.
std::optional<ir::Action> parse_action(const json& act, const json* ret, Reader& rd,
                                       const std::string& where) {
  if (!act.is_string()) {
    rd.error(where + ": action must be a string such as \"SCMP_ACT_ERRNO\"");
    return std::nullopt;
  }
  const std::string a = act.get<std::string>();
  uint32_t value = 1;  // EPERM
  if (ret && !ret->is_null()) {
    if (!ret->is_number_unsigned() || ret->get<uint64_t>() > 0xffff) {
      rd.error(where + ": errnoRet must be a number from 0 to 65535");
      return std::nullopt;
    }
    value = ret->get<uint32_t>();
  }
  if (a == "SCMP_ACT_ALLOW") return ir::Action{ir::ActionKind::Allow, 0};
  if (a == "SCMP_ACT_ERRNO") return ir::Action{ir::ActionKind::Errno, value};
  if (a == "SCMP_ACT_KILL" || a == "SCMP_ACT_KILL_THREAD")
    return ir::Action{ir::ActionKind::KillThread, 0};
  if (a == "SCMP_ACT_KILL_PROCESS") return ir::Action{ir::ActionKind::KillProcess, 0};
  if (a == "SCMP_ACT_TRAP") return ir::Action{ir::ActionKind::Trap, 0};
  if (a == "SCMP_ACT_TRACE") return ir::Action{ir::ActionKind::Trace, value};
  if (a == "SCMP_ACT_LOG") return ir::Action{ir::ActionKind::Log, 0};
  if (a == "SCMP_ACT_NOTIFY") return ir::Action{ir::ActionKind::UserNotify, 0};
  rd.error(where + ": unknown action \"" + a + "\"");
  return std::nullopt;
}

std::optional<ir::CmpOp> parse_op(const std::string& s) {
  if (s == "SCMP_CMP_NE") return ir::CmpOp::Ne;
  if (s == "SCMP_CMP_LT") return ir::CmpOp::Lt;
  if (s == "SCMP_CMP_LE") return ir::CmpOp::Le;
  if (s == "SCMP_CMP_EQ") return ir::CmpOp::Eq;
  if (s == "SCMP_CMP_GE") return ir::CmpOp::Ge;
  if (s == "SCMP_CMP_GT") return ir::CmpOp::Gt;
  if (s == "SCMP_CMP_MASKED_EQ") return ir::CmpOp::MaskedEq;
  return std::nullopt;
}

std::optional<ir::KernelVersion> parse_kernel(const json& v, Reader& rd, const std::string& where) {
  ir::KernelVersion k;
  char tail = 0;
  if (!v.is_string() ||
      sscanf(v.get<std::string>().c_str(), "%u.%u%c", &k.major, &k.minor, &tail) != 2 ||
      (k.major == 0 && k.minor == 0)) {
    rd.error(where + ": minKernel must be \"<kernel>.<major>\" such as \"4.8\"");
    return std::nullopt;
  }
  return k;
}

std::vector<std::string> string_list(const json& j, Reader& rd, const std::string& where) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) {
    rd.error(where + " must be a list of strings");
    return out;
  }
  for (const json& e : j) {
    if (!e.is_string()) {
      rd.error(where + " must be a list of strings");
      continue;
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string version_text(const ir::KernelVersion& k) {
  return std::to_string(k.major) + "." + std::to_string(k.minor);
}

uint32_t native_of(const JsonImportOptions& opt) {
  return opt.native_arches.empty() ? names::native_arch() : opt.native_arches.front();
}

bool has_cap(const JsonImportOptions& opt, const std::string& name) {
  auto n = names::capability_number(name);
  return n && *n < 64 && (opt.capabilities >> *n) & 1;
}

bool arch_listed(const std::vector<std::string>& list, uint32_t native) {
  for (const std::string& a : list)
    if (names::arch_token(a) == native) return true;
  return false;
}

}  // namespace

uint64_t JsonImportOptions::docker_default_capabilities() {
  // Docker's default capability set (moby oci/caps DefaultCapabilities).
  static const char* kDocker[] = {"CHOWN",   "DAC_OVERRIDE", "FSETID",           "FOWNER",
                                  "MKNOD",   "NET_RAW",      "SETGID",           "SETUID",
                                  "SETFCAP", "SETPCAP",      "NET_BIND_SERVICE", "SYS_CHROOT",
                                  "KILL",    "AUDIT_WRITE"};
  uint64_t mask = 0;
  for (const char* c : kDocker) {
    auto n = names::capability_number(c);
    if (!n) throw Error(std::string("libcap does not know CAP_") + c);
    mask |= uint64_t{1} << *n;
  }
  return mask;
}

namespace {

// One profile's reading: the top-level fields, then each syscalls[] entry.
class ProfileReader {
 public:
  ProfileReader(const JsonImportOptions& opt, DiagnosticEngine& diags)
      : opt_(opt),
        rd_{opt, diags},
        native_(native_of(opt)),
        kernel_(opt.kernel ? *opt.kernel : seccomp::host_kernel_version()) {}

  ir::SeccompPolicy read(const json& j) {
    if (!j.is_object()) {
      rd_.error("a seccomp profile must be a JSON object with defaultAction and syscalls");
      return std::move(out_);
    }
    out_.target_kernel = kernel_;
    read_default_action(j);
    read_architectures(j);
    if (!j.contains("syscalls")) return std::move(out_);
    const json& calls = j["syscalls"];
    if (!calls.is_array()) {
      rd_.error("syscalls must be a list");
      return std::move(out_);
    }
    for (size_t i = 0; i < calls.size(); ++i)
      read_entry(calls[i], "syscalls[" + std::to_string(i) + "]");
    return std::move(out_);
  }

 private:
  // What Docker's filter (includes/excludes) decided for one entry.
  struct Activity {
    bool active = true;
    std::string why_inactive;
    void deactivate(std::string why) {
      if (!active) return;
      active = false;
      why_inactive = std::move(why);
    }
  };

  void read_default_action(const json& j) {
    if (auto d = j.find("defaultAction"); d != j.end()) {
      const json* ret = j.contains("defaultErrnoRet") ? &j["defaultErrnoRet"] : nullptr;
      if (auto a = parse_action(*d, ret, rd_, "defaultAction")) out_.default_action = *a;
    } else {
      rd_.error(
          "the profile has no defaultAction (Docker treats such a profile as no filter at all)");
    }
  }

  void add_arch(const std::string& name) {
    auto t = names::arch_token(name);
    if (!t) {
      rd_.error("unknown architecture \"" + name + "\"");
      return;
    }
    if (std::find(out_.arches.begin(), out_.arches.end(), *t) == out_.arches.end())
      out_.arches.push_back(*t);
  }

  // Docker expands archMap for the host arch only (the entry's architecture plus its
  // subArchitectures); OCI lists them. runc's filter always has the native arch too.
  void read_architectures(const json& j) {
    const bool has_arches = j.contains("architectures") && !j["architectures"].empty();
    const bool has_map = j.contains("archMap") && !j["archMap"].empty();
    if (has_arches && has_map)
      rd_.error("both 'architectures' and 'archMap' are given; use one (Docker refuses both)");
    out_.arches.push_back(native_);
    if (has_arches) {
      for (const std::string& a : string_list(j["architectures"], rd_, "architectures"))
        add_arch(a);
    } else if (has_map) {
      read_arch_map(j["archMap"]);
    }
  }

  void read_arch_map(const json& map) {
    if (!map.is_array()) {
      rd_.error("archMap must be a list");
      return;
    }
    for (const json& e : map) {
      if (!e.is_object() || !e.contains("architecture") || !e["architecture"].is_string()) {
        rd_.error("each archMap entry needs an \"architecture\"");
        continue;
      }
      if (names::arch_token(e["architecture"].get<std::string>()) != native_) continue;
      if (e.contains("subArchitectures"))
        for (const std::string& a :
             string_list(e["subArchitectures"], rd_, "archMap subArchitectures"))
          add_arch(a);
      break;
    }
  }

  void read_entry(const json& c, const std::string& where) {
    if (!c.is_object()) {
      rd_.error(where + " must be an object");
      return;
    }
    auto call_names = read_names(c, where);
    if (!call_names) return;
    if (!c.contains("action")) {
      rd_.error(where + ": no action");
      return;
    }
    auto action =
        parse_action(c["action"], c.contains("errnoRet") ? &c["errnoRet"] : nullptr, rd_, where);
    if (!action) return;
    ir::SyscallRule proto;
    proto.action = *action;
    proto.loc = rd_.loc();
    proto.via = c.contains("comment") && c["comment"].is_string() && c["comment"] != ""
                    ? c["comment"].get<std::string>()
                    : where;
    // Docker's filtering: excludes first (arches, caps, minKernel), then includes.
    Activity activity;
    read_gate(c, where, "excludes", false, proto, activity);
    read_gate(c, where, "includes", true, proto, activity);
    auto cond = read_args(c, where);
    if (!cond) return;
    proto.args = *cond;
    add_rules(*call_names, proto, activity, where);
  }

  // `name` or `names`; nullopt (after an error) when the entry names them wrongly.
  std::optional<std::vector<std::string>> read_names(const json& c, const std::string& where) {
    if (c.contains("name") && !c["name"].is_null() && c["name"] != "") {
      if (c.contains("names") && !c["names"].empty()) {
        rd_.error(where + ": both 'name' and 'names' are given; use one");
        return std::nullopt;
      }
      if (!c["name"].is_string()) {
        rd_.error(where + ": name must be a string");
        return std::nullopt;
      }
      return std::vector<std::string>{c["name"].get<std::string>()};
    }
    if (c.contains("names")) return string_list(c["names"], rd_, where + ".names");
    return std::vector<std::string>{};
  }

  // includes/excludes: arches, caps, minKernel. A capability gate is kept on the rule (the
  // policy says which capability it needs); the host's arch and kernel are decided here.
  void read_gate(const json& c, const std::string& where, const char* key, bool include,
                 ir::SyscallRule& proto, Activity& activity) {
    if (!c.contains(key) || c[key].is_null()) return;
    const json& f = c[key];
    const std::string w = where + "." + key;
    if (!f.is_object()) {
      rd_.error(w + " must be an object");
      return;
    }
    if (f.contains("arches")) {
      auto list = string_list(f["arches"], rd_, w + ".arches");
      for (const std::string& a : list)
        if (!names::arch_token(a))
          rd_.warning(kJsonProfile, w + ": unknown architecture \"" + a + "\"");
      if (!list.empty() && arch_listed(list, native_) != include)
        activity.deactivate(include ? "host architecture not in includes.arches"
                                    : "host architecture in excludes.arches");
    }
    if (f.contains("caps")) read_cap_gate(f["caps"], w, include, proto, activity);
    if (f.contains("minKernel") && !f["minKernel"].is_null() && f["minKernel"] != "") {
      auto k = parse_kernel(f["minKernel"], rd_, w);
      if (!k) return;
      if (include) proto.min_kernel = k;
      if ((kernel_ >= *k) != include)
        activity.deactivate("kernel " + version_text(kernel_) +
                            (include ? " is below " : " is at least ") + version_text(*k));
    }
  }

  void read_cap_gate(const json& caps, const std::string& w, bool include, ir::SyscallRule& proto,
                     Activity& activity) {
    for (const std::string& cap : string_list(caps, rd_, w + ".caps")) {
      auto number = names::capability_number(cap);
      if (!number) rd_.warning(kJsonProfile, w + ": unknown capability \"" + cap + "\"");
      std::string canonical = number ? names::capability_name(*number) : cap;
      (include ? proto.requires_caps : proto.unless_caps).push_back(canonical);
      if (has_cap(opt_, cap) != include)
        activity.deactivate(include ? canonical + " is not kept" : canonical + " is kept");
    }
  }

  // runc: when two or more conditions name the same argument, each condition becomes its own
  // rule (any of them matches); otherwise all of them form one rule (all must match). nullopt
  // (after errors) when a condition is malformed.
  std::optional<ir::Condition> read_args(const json& c, const std::string& where) {
    ir::Condition cond;
    if (!c.contains("args") || c["args"].is_null()) return cond;
    if (!c["args"].is_array()) {
      rd_.error(where + ".args must be a list");
      return std::nullopt;
    }
    ir::Conjunction all;
    unsigned count[6] = {};
    bool bad = false;
    for (const json& a : c["args"]) {
      auto cmp = read_comparison(a, where);
      if (!cmp) {
        bad = true;
        continue;
      }
      ++count[cmp->arg];
      all.push_back(*cmp);
    }
    if (bad) return std::nullopt;
    if (std::any_of(std::begin(count), std::end(count), [](unsigned n) { return n > 1; })) {
      for (const ir::Comparison& cmp : all) cond.push_back({cmp});
    } else if (!all.empty()) {
      cond.push_back(all);
    }
    return cond;
  }

  std::optional<ir::Comparison> read_comparison(const json& a, const std::string& where) {
    if (!a.is_object() || !a.contains("index") || !a["index"].is_number_unsigned() ||
        a["index"].get<uint64_t>() > 5 || !a.contains("op") || !a["op"].is_string()) {
      rd_.error(where + ".args: each condition needs an index 0..5 and an op");
      return std::nullopt;
    }
    auto op = parse_op(a["op"].get<std::string>());
    if (!op) {
      rd_.error(where + ".args: unknown op \"" + a["op"].get<std::string>() + "\"");
      return std::nullopt;
    }
    bool bad = false;
    auto num = [&](const char* key) -> uint64_t {
      if (!a.contains(key) || a[key].is_null()) return 0;
      if (!a[key].is_number_unsigned()) {
        rd_.error(where + ".args: " + key + " must be a non-negative number");
        bad = true;
        return 0;
      }
      return a[key].get<uint64_t>();
    };
    ir::Comparison cmp;
    cmp.arg = a["index"].get<unsigned>();
    cmp.arg_name = "arg" + std::to_string(cmp.arg);
    cmp.op = *op;
    cmp.loc = rd_.loc();
    if (*op == ir::CmpOp::MaskedEq) {
      cmp.mask = num("value");
      cmp.value = num("valueTwo");
    } else {
      cmp.value = num("value");
    }
    if (bad) return std::nullopt;
    return cmp;
  }

  // One rule per known name; inactive ones (and those with the default action, which runc skips
  // because libseccomp refuses them) are kept apart with the reason.
  void add_rules(const std::vector<std::string>& call_names, const ir::SyscallRule& proto,
                 const Activity& activity, const std::string& where) {
    for (const std::string& name : call_names) {
      if (name.empty()) {
        rd_.error(where + ": empty syscall name");
        continue;
      }
      if (!names::syscall_known(name)) {
        rd_.warning(kUnknownSyscall, where + ": syscall '" + name +
                                         "' is unknown to libseccomp; ignored (as Docker does)");
        continue;
      }
      ir::SyscallRule r = proto;
      r.syscall = name;
      if (activity.active && r.action != out_.default_action) {
        if (const ir::SyscallRule* first = earlier_unconditional(r)) {
          // libseccomp keeps the first unconditional rule it is given for a call and drops a later
          // one with another action without an error, so under runc and crun (which add the
          // entries in file order) this entry has no effect. Podman's default profile has such a
          // pair (setns and others: allowed, then errno without CAP_SYS_ADMIN).
          rd_.warning(kJsonProfile, where + ": '" + name +
                                        "' already has the unconditional action " +
                                        ir::describe(first->action) + " from " + first->via +
                                        "; libseccomp keeps the first rule for a call, so " +
                                        ir::describe(r.action) + " here has no effect");
          r.via += " (overridden: libseccomp keeps " + first->via + ")";
          out_.inactive_rules.push_back(std::move(r));
          continue;
        }
        out_.rules.push_back(std::move(r));
        continue;
      }
      r.via +=
          activity.active ? " (same action as the default)" : " (" + activity.why_inactive + ")";
      out_.inactive_rules.push_back(std::move(r));
    }
  }

  // An active unconditional rule for the same call on the same architectures with another
  // action, added before `r`; nullptr when there is none.
  const ir::SyscallRule* earlier_unconditional(const ir::SyscallRule& r) const {
    if (!r.args.empty()) return nullptr;
    for (const ir::SyscallRule& e : out_.rules)
      if (e.syscall == r.syscall && e.args.empty() && e.arches == r.arches &&
          e.not_arches == r.not_arches && e.min_kernel == r.min_kernel && e.action != r.action)
        return &e;
    return nullptr;
  }

  const JsonImportOptions& opt_;
  Reader rd_;
  const uint32_t native_;
  const ir::KernelVersion kernel_;
  ir::SeccompPolicy out_;
};

}  // namespace

ir::SeccompPolicy seccomp_from_json(const nlohmann::json& j, const JsonImportOptions& opt,
                                    DiagnosticEngine& diags) {
  return ProfileReader(opt, diags).read(j);
}

}  // namespace policy::importer
