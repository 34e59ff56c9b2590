// Docker / OCI seccomp JSON into the IR, following what Docker (moby/profiles seccomp
// setupSeccomp) and runc (libcontainer/seccomp matchCall) do with each field.
#include <algorithm>
#include <cstdio>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/json.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::seccomp {

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

ir::SeccompPolicy seccomp_from_json(const nlohmann::json& j, const JsonImportOptions& opt,
                                    DiagnosticEngine& diags) {
  Reader rd{opt, diags};
  ir::SeccompPolicy out;
  if (!j.is_object()) {
    rd.error("a seccomp profile must be a JSON object with defaultAction and syscalls");
    return out;
  }
  const uint32_t native = native_of(opt);
  const ir::KernelVersion kernel = opt.kernel ? *opt.kernel : host_kernel_version();
  out.target_kernel = kernel;

  if (auto d = j.find("defaultAction"); d != j.end()) {
    const json* ret = j.contains("defaultErrnoRet") ? &j["defaultErrnoRet"] : nullptr;
    if (auto a = parse_action(*d, ret, rd, "defaultAction")) out.default_action = *a;
  } else {
    rd.error("the profile has no defaultAction (Docker treats such a profile as no filter at all)");
  }

  // Architectures: Docker expands archMap for the host arch only (the entry's architecture plus
  // its subArchitectures); OCI lists them. runc's filter always has the native arch too.
  const bool has_arches = j.contains("architectures") && !j["architectures"].empty();
  const bool has_map = j.contains("archMap") && !j["archMap"].empty();
  if (has_arches && has_map)
    rd.error("both 'architectures' and 'archMap' are given; use one (Docker refuses both)");
  out.arches.push_back(native);
  auto add_arch = [&](const std::string& name) {
    auto t = names::arch_token(name);
    if (!t) {
      rd.error("unknown architecture \"" + name + "\"");
      return;
    }
    if (std::find(out.arches.begin(), out.arches.end(), *t) == out.arches.end())
      out.arches.push_back(*t);
  };
  if (has_arches) {
    for (const std::string& a : string_list(j["architectures"], rd, "architectures")) add_arch(a);
  } else if (has_map) {
    if (!j["archMap"].is_array())
      rd.error("archMap must be a list");
    else
      for (const json& e : j["archMap"]) {
        if (!e.is_object() || !e.contains("architecture") || !e["architecture"].is_string()) {
          rd.error("each archMap entry needs an \"architecture\"");
          continue;
        }
        if (names::arch_token(e["architecture"].get<std::string>()) != native) continue;
        if (e.contains("subArchitectures"))
          for (const std::string& a :
               string_list(e["subArchitectures"], rd, "archMap subArchitectures"))
            add_arch(a);
        break;
      }
  }

  if (!j.contains("syscalls")) return out;
  const json& calls = j["syscalls"];
  if (!calls.is_array()) {
    rd.error("syscalls must be a list");
    return out;
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    const json& c = calls[i];
    const std::string where = "syscalls[" + std::to_string(i) + "]";
    if (!c.is_object()) {
      rd.error(where + " must be an object");
      continue;
    }
    std::vector<std::string> call_names;
    if (c.contains("name") && !c["name"].is_null() && c["name"] != "") {
      if (c.contains("names") && !c["names"].empty()) {
        rd.error(where + ": both 'name' and 'names' are given; use one");
        continue;
      }
      if (!c["name"].is_string()) {
        rd.error(where + ": name must be a string");
        continue;
      }
      call_names.push_back(c["name"].get<std::string>());
    } else if (c.contains("names")) {
      call_names = string_list(c["names"], rd, where + ".names");
    }
    if (!c.contains("action")) {
      rd.error(where + ": no action");
      continue;
    }
    auto action =
        parse_action(c["action"], c.contains("errnoRet") ? &c["errnoRet"] : nullptr, rd, where);
    if (!action) continue;

    ir::SyscallRule proto;
    proto.action = *action;
    proto.loc = SourceLoc{opt.file_name, 0, 0};
    proto.via = c.contains("comment") && c["comment"].is_string() && c["comment"] != ""
                    ? c["comment"].get<std::string>()
                    : where;

    // Docker's filtering: excludes first (arches, caps, minKernel), then includes.
    bool active = true;
    std::string why_inactive;
    auto gate = [&](const char* key, bool include) {
      if (!c.contains(key) || c[key].is_null()) return;
      const json& f = c[key];
      if (!f.is_object()) {
        rd.error(where + "." + key + " must be an object");
        return;
      }
      const std::string w = where + "." + key;
      if (f.contains("arches")) {
        auto list = string_list(f["arches"], rd, w + ".arches");
        for (const std::string& a : list)
          if (!names::arch_token(a))
            rd.warning(kJsonProfile, w + ": unknown architecture \"" + a + "\"");
        if (!list.empty() && arch_listed(list, native) != include && active) {
          active = false;
          why_inactive = include ? "host architecture not in includes.arches"
                                 : "host architecture in excludes.arches";
        }
      }
      if (f.contains("caps")) {
        for (const std::string& cap : string_list(f["caps"], rd, w + ".caps")) {
          if (!names::capability_number(cap))
            rd.warning(kJsonProfile, w + ": unknown capability \"" + cap + "\"");
          std::string canonical = names::capability_number(cap)
                                      ? names::capability_name(*names::capability_number(cap))
                                      : cap;
          (include ? proto.requires_caps : proto.unless_caps).push_back(canonical);
          if (has_cap(opt, cap) != include && active) {
            active = false;
            why_inactive = include ? canonical + " is not kept" : canonical + " is kept";
          }
        }
      }
      if (f.contains("minKernel") && !f["minKernel"].is_null() && f["minKernel"] != "") {
        auto k = parse_kernel(f["minKernel"], rd, w);
        if (k) {
          if (include) proto.min_kernel = k;
          if ((kernel >= *k) != include && active) {
            active = false;
            why_inactive = "kernel " + std::to_string(kernel.major) + "." +
                           std::to_string(kernel.minor) +
                           (include ? " is below " : " is at least ") + std::to_string(k->major) +
                           "." + std::to_string(k->minor);
          }
        }
      }
    };
    gate("excludes", false);
    gate("includes", true);

    // Arguments. runc: when two or more conditions name the same argument, each condition becomes
    // its own rule (any of them matches); otherwise all of them form one rule (all must match).
    ir::Condition cond;
    if (c.contains("args") && !c["args"].is_null()) {
      if (!c["args"].is_array()) {
        rd.error(where + ".args must be a list");
        continue;
      }
      ir::Conjunction all;
      unsigned count[6] = {};
      bool bad = false;
      for (const json& a : c["args"]) {
        if (!a.is_object() || !a.contains("index") || !a["index"].is_number_unsigned() ||
            a["index"].get<uint64_t>() > 5 || !a.contains("op") || !a["op"].is_string()) {
          rd.error(where + ".args: each condition needs an index 0..5 and an op");
          bad = true;
          continue;
        }
        auto op = parse_op(a["op"].get<std::string>());
        if (!op) {
          rd.error(where + ".args: unknown op \"" + a["op"].get<std::string>() + "\"");
          bad = true;
          continue;
        }
        auto num = [&](const char* key) -> uint64_t {
          if (!a.contains(key) || a[key].is_null()) return 0;
          if (!a[key].is_number_unsigned()) {
            rd.error(where + ".args: " + key + " must be a non-negative number");
            bad = true;
            return 0;
          }
          return a[key].get<uint64_t>();
        };
        ir::Comparison cmp;
        cmp.arg = a["index"].get<unsigned>();
        cmp.arg_name = "arg" + std::to_string(cmp.arg);
        cmp.op = *op;
        cmp.loc = proto.loc;
        if (*op == ir::CmpOp::MaskedEq) {
          cmp.mask = num("value");
          cmp.value = num("valueTwo");
        } else {
          cmp.value = num("value");
        }
        ++count[cmp.arg];
        all.push_back(cmp);
      }
      if (bad) continue;
      const bool repeated =
          std::any_of(std::begin(count), std::end(count), [](unsigned n) { return n > 1; });
      if (repeated) {
        for (const ir::Comparison& cmp : all) cond.push_back({cmp});
      } else if (!all.empty()) {
        cond.push_back(all);
      }
    }
    proto.args = cond;

    for (const std::string& name : call_names) {
      if (name.empty()) {
        rd.error(where + ": empty syscall name");
        continue;
      }
      ir::SyscallRule r = proto;
      r.syscall = name;
      if (!names::syscall_known(name)) {
        rd.warning(kUnknownSyscall, where + ": syscall '" + name +
                                        "' is unknown to libseccomp; ignored (as Docker does)");
        continue;
      }
      // runc skips a rule whose action is the default action (libseccomp refuses it).
      if (!active || r.action == out.default_action) {
        if (active)
          r.via += " (same action as the default)";
        else
          r.via += " (" + why_inactive + ")";
        out.inactive_rules.push_back(std::move(r));
        continue;
      }
      out.rules.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace policy::seccomp
