#include "compiler/inspect/against.hpp"

#include <linux/seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <optional>
#include <sstream>

#include "compiler/apparmor/profile.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/seccomp/decompile.hpp"
#include "compiler/seccomp/equivalence.hpp"

namespace policy::inspect {

namespace {

std::string names_of(uint64_t mask) {
  std::string out;
  for (const std::string& n : caps::names(mask)) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

struct Call {
  uint32_t arch = 0;
  uint32_t nr = 0;
  seccomp::Args args{};
};

// The call a first_difference text starts with ("x86_64 socket (nr 41) args=[0x26,0,...]: ...").
std::optional<Call> call_of(const std::string& difference) {
  std::istringstream in(difference);
  std::string arch_name;
  in >> arch_name;
  const auto arch = names::arch_token(arch_name);
  const size_t nr_at = difference.find("(nr ");
  if (!arch || nr_at == std::string::npos) return std::nullopt;
  Call c;
  c.arch = *arch;
  c.nr = static_cast<uint32_t>(std::stoul(difference.substr(nr_at + 4), nullptr, 0));
  const size_t a = difference.find("args=[");
  if (a != std::string::npos) {
    std::istringstream list(difference.substr(a + 6, difference.find(']', a) - a - 6));
    size_t i = 0;
    for (std::string v; i < 6 && std::getline(list, v, ',');)
      c.args[i++] = std::stoull(v, nullptr, 0);
  }
  return c;
}

// The rule of `policy` that decides that call; unknown when it cannot be read back.
SourceLoc deciding_rule(const ir::SeccompPolicy& policy, const std::string& difference) {
  const auto c = call_of(difference);
  if (!c) return {};
  const ir::KernelVersion kernel = policy.target_kernel.value_or(frontend::host_kernel_version());
  const seccomp::Decision d = seccomp::decide_rule(policy, c->arch, c->nr, c->args, kernel);
  return d.rule ? d.rule->loc : SourceLoc{};
}

// `prog` behind a prefix that answers one (arch, number) with a fixed verdict, so that two
// programs compared past a difference there agree on it.
seccomp::Program with_fixed_verdict(const seccomp::Program& prog, const Call& c) {
  const struct seccomp_data data = seccomp::make_seccomp_data(c.arch, c.nr);
  seccomp::Program out = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, data.arch, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(data.nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_LD | BPF_IMM, 0),
  };
  out.insert(out.end(), prog.begin(), prog.end());
  return out;
}

}  // namespace

seccomp::Program notifying_variant(const seccomp::Program& prog) {
  seccomp::Program out = prog;
  for (sock_filter& i : out)
    if (i.code == (BPF_RET | BPF_K) && (i.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO &&
        (i.k & SECCOMP_RET_DATA) != ENOSYS)
      i.k = SECCOMP_RET_USER_NOTIF;
  return out;
}

Comparison compare(const ProcessFacts& f, const ir::Policy& policy,
                   const seccomp::Program& compiled, const std::string& policy_file) {
  Comparison result;
  std::vector<Drift>& out = result.drift;
  const std::string whole = "policy " + policy.name + " (" + policy_file + ")";
  const auto add = [&](const char* layer, std::string message, const SourceLoc& loc) {
    out.push_back({layer, std::move(message), loc, whole});
  };

  // seccomp
  if (!f.filters_read && f.status.seccomp_mode != 0)
    throw Error("cannot compare the seccomp layer of " + f.subject() + ": " + f.filters_error);
  if (f.filters.empty()) {
    add("seccomp",
        "the policy installs a seccomp filter; the process has none (Seccomp: " +
            std::string(seccomp_mode_name(f.status.seccomp_mode)) + ")",
        policy.loc);
  } else {
    const seccomp::Program live = seccomp::combined(f.filters);
    std::vector<uint64_t> values = seccomp::policy_constants(policy.seccomp);
    // The live filter's own constants too: a condition the policy lacks is probed at its edges.
    const seccomp::Decompiled d = seccomp::decompile(live, policy.seccomp.arches);
    const auto more = seccomp::policy_constants(d.policy);
    values.insert(values.end(), more.begin(), more.end());
    const bool notifies = std::any_of(live.begin(), live.end(), [](const sock_filter& i) {
      return i.code == (BPF_RET | BPF_K) &&
             (i.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF;
    });
    if (notifies)
      result.notes.push_back(
          "the process's filter hands calls to a supervisor (seccomp user notification, as "
          "policyrun's --explain-denials does): the policy's errno refusals are compared as "
          "user-notify; what the supervisor answers is not visible here");
    seccomp::Program a = live, b = notifies ? notifying_variant(compiled) : compiled;
    // A difference on a number no system call has, where both refuse with an errno (runc's ENOSYS
    // stub answers -1 with ENOSYS), is a note; the comparison then goes on past that number.
    for (int round = 0; round < 16; ++round) {
      const auto diff = seccomp::first_difference(a, b, policy.seccomp.arches, values);
      if (!diff) break;
      std::string text = *diff;
      const size_t at = text.find("first program");
      if (at != std::string::npos) text.replace(at, 13, "the process");
      const size_t second = text.find("second");
      if (second != std::string::npos) text.replace(second, 6, "the policy");
      const auto call = call_of(*diff);
      const size_t gives = diff->find(" gives "), other = diff->rfind(", second ");
      const bool both_errno = gives != std::string::npos && other != std::string::npos &&
                              diff->compare(gives + 7, 6, "errno(") == 0 &&
                              diff->compare(other + 9, 6, "errno(") == 0;
      if (call && both_errno && !names::syscall_name(static_cast<int>(call->nr), call->arch)) {
        result.notes.push_back("seccomp: " + text + " (a number no system call has on " +
                               names::arch_name(call->arch) + "; both refuse)");
        a = with_fixed_verdict(a, *call);
        b = with_fixed_verdict(b, *call);
        continue;
      }
      add("seccomp", text, deciding_rule(policy.seccomp, *diff));
      break;
    }
  }

  // capabilities
  if (f.status.caps) {
    const ir::CapabilitySets& want = policy.capabilities;
    const ir::CapabilitySets& have = *f.status.caps;
    const std::pair<const char*, std::pair<uint64_t, uint64_t>> sets[] = {
        {"bounding", {want.bounding, have.bounding}},
        {"permitted", {want.permitted, have.permitted}},
        {"effective", {want.effective, have.effective}},
        {"inheritable", {want.inheritable, have.inheritable}},
        {"ambient", {want.ambient, have.ambient}}};
    for (const auto& [set, masks] : sets) {
      const auto [w, h] = masks;
      if (w == h) continue;
      std::string m = std::string(set) + " set: the process has " + caps::status_hex(h) +
                      ", the policy says " + caps::status_hex(w);
      if (h & ~w) m += "; extra: " + names_of(h & ~w);
      if (w & ~h) m += "; missing: " + names_of(w & ~h);
      add("capabilities", m, want.loc.known() ? want.loc : policy.loc);
    }
  }

  // no_new_privileges
  if (f.status.no_new_privs && *f.status.no_new_privs != policy.process.no_new_privileges)
    add("no_new_privileges",
        std::string("the policy ") + (policy.process.no_new_privileges ? "sets" : "does not set") +
            " no_new_privileges; the process has NoNewPrivs: " +
            (*f.status.no_new_privs ? "1" : "0"),
        policy.process.loc);

  // namespaces the policy creates must not be the host's
  for (const ir::NamespaceSpec& spec : policy.namespaces.namespaces) {
    if (!spec.creates()) continue;
    const std::string kind = ir::namespace_proc_name(spec.kind);
    for (const NamespaceInfo& n : f.namespaces)
      if (n.kind == kind && n.host)
        add("namespaces",
            "the policy gives the container its own " + std::string(ir::namespace_name(spec.kind)) +
                " namespace; the process shares the host's (" + kind + ":" +
                std::to_string(n.inode) + ")",
            spec.loc);
  }

  // and a namespace the policy leaves to the host must be the host's: a process in another one
  // is not the one the policy describes (or the policy is not the one it was started with).
  for (const NamespaceInfo& n : f.namespaces) {
    if (n.host) continue;
    const bool named =
        std::any_of(policy.namespaces.namespaces.begin(), policy.namespaces.namespaces.end(),
                    [&](const ir::NamespaceSpec& spec) {
                      return ir::namespace_proc_name(spec.kind) == n.kind;
                    });
    if (!named)
      add("namespaces",
          "the policy shares the host's " + n.kind + " namespace; the process has its own (" +
              n.kind + ":" + std::to_string(n.inode) + ")",
          policy.namespaces.namespaces.empty() ? policy.loc
                                               : policy.namespaces.namespaces.front().loc);
  }

  // resources
  const ir::ResourceLimits& r = policy.resources;
  if (r.memory_bytes) {
    const auto live = memory_limit(f);
    // v1 rounds a limit down to whole pages.
    const uint64_t page_rounded = *r.memory_bytes / 4096 * 4096;
    if (!live || (*live != *r.memory_bytes && *live != page_rounded))
      add("resources",
          "memory limit: the policy says " + std::to_string(*r.memory_bytes) +
              " bytes; the process's cgroup has " +
              (!live        ? "no memory controller"
               : *live == 0 ? "none"
                            : std::to_string(*live)),
          r.loc);
  }
  if (r.pids) {
    const auto live = pids_limit(f);
    if (!live || *live != *r.pids)
      add("resources",
          "pids limit: the policy says " + std::to_string(*r.pids) + "; the process's cgroup has " +
              (!live        ? "no pids controller"
               : *live == 0 ? "none"
                            : std::to_string(*live)),
          r.loc);
  }

  // user
  if (f.status.uid.size() > 1 && f.status.gid.size() > 1) {
    const uint32_t uid = id_inside(f.uid_map, f.status.uid[1]);
    const uint32_t gid = id_inside(f.gid_map, f.status.gid[1]);
    if (policy.process.uid && *policy.process.uid != uid)
      add("user",
          "the policy runs as uid " + std::to_string(*policy.process.uid) +
              "; the process's effective uid is " + std::to_string(uid),
          policy.process.loc);
    if (policy.process.gid && *policy.process.gid != gid)
      add("user",
          "the policy runs as gid " + std::to_string(*policy.process.gid) +
              "; the process's effective gid is " + std::to_string(gid),
          policy.process.loc);
  }

  // AppArmor: every policy has a profile; compared when the kernel shows labels.
  if (f.lsm_label && !f.lsm_label->empty()) {
    const std::string name = apparmor::profile_name(policy);
    const std::string& label = *f.lsm_label;
    const bool has = label == name || label.rfind(name + " ", 0) == 0 ||
                     label.find("//&" + name) != std::string::npos ||
                     label.rfind(name + "//&", 0) == 0;
    if (!has)
      add("apparmor",
          "the policy's AppArmor profile is '" + name + "'; the process's label is '" + label + "'",
          policy.loc);
  }
  return result;
}

std::string render_drift_text(const Comparison& result, const std::string& subject,
                              const std::string& policy_file) {
  std::ostringstream os;
  for (const std::string& n : result.notes) os << "note: " << n << "\n";
  const std::vector<Drift>& drift = result.drift;
  if (drift.empty()) {
    os << subject << " is confined as " << policy_file << " says: no drift\n";
    return os.str();
  }
  os << subject << " differs from " << policy_file << " (" << drift.size() << " drift"
     << (drift.size() == 1 ? "" : "s") << "):\n";
  for (const Drift& d : drift)
    os << d.location() << ": drift: " << d.layer << ": " << d.message << "\n";
  return os.str();
}

nlohmann::json drift_json(const Comparison& result) {
  nlohmann::json out = nlohmann::json::array();
  for (const Drift& d : result.drift)
    out.push_back({{"layer", d.layer}, {"message", d.message}, {"location", d.location()}});
  return out;
}

}  // namespace policy::inspect
