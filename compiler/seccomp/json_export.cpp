// OCI and Docker seccomp JSON from the IR.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/json.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::seccomp {

namespace {

using nlohmann::json;

const char* op_name(scmp_compare op) {
  switch (op) {
    case SCMP_CMP_NE:
      return "SCMP_CMP_NE";
    case SCMP_CMP_LT:
      return "SCMP_CMP_LT";
    case SCMP_CMP_LE:
      return "SCMP_CMP_LE";
    case SCMP_CMP_EQ:
      return "SCMP_CMP_EQ";
    case SCMP_CMP_GE:
      return "SCMP_CMP_GE";
    case SCMP_CMP_GT:
      return "SCMP_CMP_GT";
    case SCMP_CMP_MASKED_EQ:
      return "SCMP_CMP_MASKED_EQ";
    default:
      return "SCMP_CMP_EQ";
  }
}

// "SCMP_ACT_ERRNO" plus the errnoRet the action carries, if any.
std::pair<std::string, std::optional<uint32_t>> action_json(const ir::Action& a) {
  switch (a.kind) {
    case ir::ActionKind::Allow:
      return {"SCMP_ACT_ALLOW", std::nullopt};
    case ir::ActionKind::Errno:
      return {"SCMP_ACT_ERRNO", a.value};
    case ir::ActionKind::KillProcess:
      return {"SCMP_ACT_KILL_PROCESS", std::nullopt};
    case ir::ActionKind::KillThread:
      return {"SCMP_ACT_KILL_THREAD", std::nullopt};
    case ir::ActionKind::Trap:
      if (a.value != 0)
        throw Error("seccomp JSON: trap(" + std::to_string(a.value) +
                    ") has no OCI/Docker spelling (SCMP_ACT_TRAP carries no data)");
      return {"SCMP_ACT_TRAP", std::nullopt};
    case ir::ActionKind::Log:
      return {"SCMP_ACT_LOG", std::nullopt};
    case ir::ActionKind::Trace:
      return {"SCMP_ACT_TRACE", a.value};
    case ir::ActionKind::UserNotify:
      return {"SCMP_ACT_NOTIFY", std::nullopt};
  }
  return {"SCMP_ACT_KILL_PROCESS", std::nullopt};
}

json args_json(const std::vector<scmp_arg_cmp>& conds) {
  json args = json::array();
  for (const scmp_arg_cmp& c : conds) {
    json a;
    a["index"] = c.arg;
    a["value"] = c.datum_a;
    a["valueTwo"] = c.datum_b;
    a["op"] = op_name(c.op);
    args.push_back(a);
  }
  return args;
}

// Rules grouped by (action, args) with sorted names; the common part of both formats.
json common(const ir::SeccompPolicy& policy, const std::optional<ir::KernelVersion>& kernel,
            std::vector<uint32_t>* arches_out) {
  // runc hands the JSON to libseccomp, which widens socket/IPC rules on multiplexing arches; the
  // JSON says the same as the policy, so the widening is runc's, documented in docs/seccomp.md.
  const LibseccompPlan plan =
      plan_libseccomp(policy, target_kernel(policy, kernel), /*allow_multiplexer_widening=*/true);
  *arches_out = plan.arches;

  // Every (syscall, action, args) libseccomp gets, and the arches it gets it on.
  struct Key {
    std::string action;
    std::optional<uint32_t> ret;
    std::string args;
    auto operator<=>(const Key&) const = default;
  };
  std::map<std::pair<std::string, Key>, std::set<uint32_t>> seen;
  std::map<Key, json> args_of;
  for (size_t i = 0; i < plan.arches.size(); ++i)
    for (const LibseccompRule& r : plan.rules[i]) {
      auto [act, ret] = action_json(r.action);
      json args = args_json(r.conds);
      Key k{act, ret, args.dump()};
      args_of[k] = args;
      seen[{r.syscall, k}].insert(plan.arches[i]);
    }
  // runc applies each entry on every arch of the filter: a rule is exact only when it is there on
  // every target arch that has the syscall.
  std::map<Key, std::set<std::string>> groups;
  for (const auto& [sk, on] : seen) {
    for (uint32_t arch : plan.arches)
      if (libseccomp_has_syscall(sk.first, arch) && !on.count(arch))
        throw Error("seccomp JSON: the rule " + sk.second.action + " for '" + sk.first +
                    "' applies on " + names::arch_name(*on.begin()) + " but not on " +
                    names::arch_name(arch) +
                    ", and OCI/Docker JSON applies a rule on every architecture of the filter; "
                    "write a compiled filter instead, or target one architecture (--arch)");
    groups[sk.second].insert(sk.first);
  }
  std::vector<std::pair<Key, std::vector<std::string>>> entries;
  for (auto& [k, names_set] : groups)
    entries.emplace_back(k, std::vector<std::string>(names_set.begin(), names_set.end()));
  // Stable order: unconditional entries first, then by action and first name.
  std::sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) {
    const bool cx = x.first.args != "[]", cy = y.first.args != "[]";
    if (cx != cy) return cy;
    if (x.first.action != y.first.action) return x.first.action < y.first.action;
    if (x.first.ret != y.first.ret) return x.first.ret < y.first.ret;
    if (x.second.front() != y.second.front()) return x.second.front() < y.second.front();
    return x.first.args < y.first.args;
  });

  json out = json::object();
  auto [def, def_ret] = action_json(policy.default_action);
  out["defaultAction"] = def;
  if (def_ret) out["defaultErrnoRet"] = *def_ret;
  json syscalls = json::array();
  for (const auto& [k, ns] : entries) {
    json e;
    e["names"] = ns;
    e["action"] = k.action;
    if (k.ret) e["errnoRet"] = *k.ret;
    if (k.args != "[]") e["args"] = args_of[k];
    syscalls.push_back(e);
  }
  out["syscalls"] = syscalls;
  return out;
}

}  // namespace

std::string scmp_arch_name(uint32_t arch_token) {
  std::string n = names::arch_name(arch_token);
  for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return "SCMP_ARCH_" + n;
}

namespace {

// The profile both formats share (default action, syscalls), with the architectures written by
// `write_arches` in the format's own field.
template <typename WriteArches>
json profile(const ir::SeccompPolicy& policy, const std::optional<ir::KernelVersion>& kernel,
             WriteArches write_arches) {
  std::vector<uint32_t> arches;
  json body = common(policy, kernel, &arches);
  json out = json::object();
  out["defaultAction"] = body["defaultAction"];
  if (body.contains("defaultErrnoRet")) out["defaultErrnoRet"] = body["defaultErrnoRet"];
  write_arches(out, arches);
  out["syscalls"] = body["syscalls"];
  return out;
}

}  // namespace

nlohmann::json to_oci_seccomp(const ir::SeccompPolicy& policy,
                              const std::optional<ir::KernelVersion>& kernel) {
  return profile(policy, kernel, [](json& out, const std::vector<uint32_t>& arches) {
    json a = json::array();
    for (uint32_t t : arches) a.push_back(scmp_arch_name(t));
    out["architectures"] = a;
  });
}

nlohmann::json to_docker_seccomp(const ir::SeccompPolicy& policy,
                                 const std::optional<ir::KernelVersion>& kernel) {
  return profile(policy, kernel, [](json& out, const std::vector<uint32_t>& arches) {
    json entry;
    entry["architecture"] = scmp_arch_name(arches.front());
    json subs = json::array();
    for (size_t i = 1; i < arches.size(); ++i) subs.push_back(scmp_arch_name(arches[i]));
    entry["subArchitectures"] = subs;
    out["archMap"] = json::array({entry});
  });
}

}  // namespace policy::seccomp
