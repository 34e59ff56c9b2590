// Postures of policies and imported profiles (from_policy.hpp): every fact from the IR or the
// compiled filter, located at the rule that sets it.
#include "compiler/audit/from_policy.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/importer/apparmor_profile.hpp"
#include "compiler/importer/seccomp_json.hpp"

namespace policy::audit {
namespace {

Origin at(const SourceLoc& loc, const std::string& otherwise) {
  return Origin{loc, otherwise};
}

// The loc when known, else the policy's own (its `policy NAME` line), else `otherwise`.
Origin at_or_policy(const SourceLoc& loc, const ir::Policy& p, const std::string& otherwise) {
  if (loc.known()) return Origin{loc, ""};
  if (p.loc.known()) return Origin{p.loc, ""};
  return Origin{{}, otherwise};
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Whether a rule's pattern reaches into `dir` (/proc/sys): the pattern names the directory or
// something under it, or a glob above it covers it.
bool pattern_covers(const std::string& pattern, const std::string& dir) {
  std::string p = pattern;
  if (starts_with(p, "@{PROC}")) p = "/proc" + p.substr(7);
  if (starts_with(p, dir)) return true;
  // "/**", "/proc/**": a recursive glob at or above the directory.
  const auto star = p.find("**");
  if (star == std::string::npos) return false;
  return starts_with(dir, p.substr(0, star));
}

// Whether a deny rule's pattern takes the whole of `dir`: the directory itself, everything under
// it (`dir/**`, `dir/*`, Docker's `dir/[^k]**` character classes), or a recursive glob above it.
bool denies_whole_tree(const std::string& pattern, const std::string& dir) {
  std::string p = pattern;
  if (starts_with(p, "@{PROC}")) p = "/proc" + p.substr(7);
  if (!starts_with(p, dir)) return pattern_covers(p, dir) && p.find("**") != std::string::npos;
  const std::string rest = p.substr(dir.size());
  return rest.empty() || rest == "/" || rest == "/*" || rest == "/**" || starts_with(rest, "/[");
}

std::vector<NamespaceFact> namespace_facts(const ir::Policy& p) {
  std::vector<NamespaceFact> out;
  for (auto kind : {ir::NamespaceKind::Mount, ir::NamespaceKind::Pid, ir::NamespaceKind::Net,
                    ir::NamespaceKind::Ipc, ir::NamespaceKind::Uts, ir::NamespaceKind::User,
                    ir::NamespaceKind::Cgroup, ir::NamespaceKind::Time}) {
    NamespaceFact f;
    f.kind = ir::namespace_proc_name(kind);
    auto it = std::find_if(p.namespaces.namespaces.begin(), p.namespaces.namespaces.end(),
                           [&](const ir::NamespaceSpec& s) { return s.kind == kind; });
    if (it == p.namespaces.namespaces.end()) {
      f.sharing = Sharing::Host;
      // At the `-KIND` that took it away from a base, when one did.
      const ir::Removal* removed = p.removal("namespaces", ir::namespace_name(kind));
      f.origin = at_or_policy(removed ? removed->loc : SourceLoc{}, p,
                              std::string("no `") + ir::namespace_name(kind) + "` namespace");
      f.detail = "not in the namespaces section: the host's";
    } else {
      f.sharing = it->creates() ? Sharing::Own : Sharing::Joined;
      f.detail = !it->container.empty() ? "container " + it->container : it->join_path;
      f.origin = at_or_policy(it->loc, p, "namespaces");
    }
    out.push_back(f);
  }
  return out;
}

// Writable from inside: not read-only or masked, not denied by a filesystem rule, and, when the
// filesystem section is an allowlist, granted by one of its write rules.
Fact<bool> writable_tree(const ir::Policy& p, const std::string& dir) {
  const auto& ro = p.rootfs.readonly_paths;
  const auto& masked = p.rootfs.masked_paths;
  if (std::find(ro.begin(), ro.end(), dir) != ro.end() ||
      std::find(masked.begin(), masked.end(), dir) != masked.end())
    return {false, at_or_policy(p.rootfs.loc, p, "rootfs")};
  for (const ir::PathRule& r : p.filesystem.rules)
    if (r.deny && (r.access & ir::kWrite) && denies_whole_tree(r.pattern, dir))
      return {false, at(r.loc, "filesystem")};
  if (p.filesystem.specified && !p.filesystem.allow_all_files) {
    for (const ir::PathRule& r : p.filesystem.rules)
      if (!r.deny && (r.access & ir::kWrite) && pattern_covers(r.pattern, dir))
        return {true, at(r.loc, "filesystem")};
    return {false, at_or_policy({}, p, "filesystem")};
  }
  return {true, at_or_policy(p.filesystem.specified ? p.filesystem.allow_all_loc : p.loc, p,
                             "no read-only path nor filesystem rule covers " + dir)};
}

}  // namespace

Posture posture_of_policy(const ir::Policy& p, const driver::SeccompOptions& options,
                          const std::string& subject) {
  Posture out;
  out.subject = subject;
  out.kind = Posture::Kind::Policy;

  out.seccomp.known = true;
  out.seccomp.filters.push_back(driver::compile_seccomp(p.seccomp, options));
  out.seccomp.arches = p.seccomp.arches;
  out.seccomp.policy = p.seccomp;
  if (options.kernel) out.seccomp.policy->target_kernel = options.kernel;
  out.seccomp.origin = at_or_policy({}, p, "syscalls");

  out.capabilities = {p.capabilities, at_or_policy(p.capabilities.loc, p, "capabilities")};
  out.no_new_privs = {p.process.no_new_privileges, at_or_policy(p.process.loc, p, "process")};
  if (p.process.uid) {
    std::string u = std::to_string(*p.process.uid);
    if (p.process.gid) u += ":" + std::to_string(*p.process.gid);
    out.user = {u, at_or_policy(p.process.loc, p, "process")};
  } else if (p.process.user) {
    out.user = {*p.process.user, at_or_policy(p.process.loc, p, "process")};
  } else {
    out.user.origin = at_or_policy(p.process.loc, p, "process");
    out.user.origin.where = "no `user`: the image's User (root unless the image says otherwise)";
    out.user.origin.loc = {};
  }

  auto ns = namespace_facts(p);
  const NamespaceFact& user_ns =
      *std::find_if(ns.begin(), ns.end(), [](const NamespaceFact& f) { return f.kind == "user"; });
  if (user_ns.sharing == Sharing::Own) {
    bool root_mapped_to_root = false;
    for (const ir::IdMap& m : p.namespaces.uid_map)
      if (m.inside == 0 && m.outside == 0) root_mapped_to_root = true;
    out.root_is_unprivileged_on_host = {!root_mapped_to_root, user_ns.origin};
  } else if (user_ns.sharing == Sharing::Host) {
    out.root_is_unprivileged_on_host = {false, user_ns.origin};
  } else {
    out.root_is_unprivileged_on_host.origin = user_ns.origin;  // a joined one: unknown
  }
  out.namespaces = {ns, at_or_policy({}, p, "namespaces")};

  const ir::ResourceLimits& r = p.resources;
  const Origin res = at_or_policy(r.loc, p, "resources");
  out.memory_limit = {r.memory_bytes.value_or(0), res};
  out.pids_limit = {r.pids.value_or(0), res};
  out.cpu_limited = {r.cpu_shares || r.cpu_weight || r.cpu_quota_us, res};
  SourceLoc dev_loc = r.devices.rules.empty() ? SourceLoc{} : r.devices.rules.front().loc;
  out.devices_restricted = {!r.devices.unrestricted(),
                            at_or_policy(dev_loc, p, "devices: Docker's allowlist (default)")};

  // policyc generates an AppArmor profile (named after the policy) and a Landlock ruleset from
  // the filesystem section; without one the files are unconfined.
  const ir::FilesystemPolicy& fs = p.filesystem;
  const Origin fs_origin = at_or_policy(fs.allow_all_loc.known() ? fs.allow_all_loc
                                        : fs.rules.empty()       ? SourceLoc{}
                                                                 : fs.rules.front().loc,
                                        p, "no filesystem section");
  out.apparmor_profile = {fs.specified ? p.name : std::string(), fs_origin};
  out.landlock = {fs.specified && !fs.allow_all_files, fs_origin};

  out.readonly_rootfs = {p.rootfs.readonly, at_or_policy(p.rootfs.loc, p, "rootfs")};
  out.proc_sys_writable = writable_tree(p, "/proc/sys");
  out.sys_writable = {false, {{}, "policyrun mounts /sys read-only (docs/runtime.md)"}};
  bool masks = true;
  for (const std::string& m : ir::docker_masked_paths())
    if (std::find(p.rootfs.masked_paths.begin(), p.rootfs.masked_paths.end(), m) ==
        p.rootfs.masked_paths.end())
      masks = false;
  for (const std::string& m : ir::docker_readonly_paths())
    if (std::find(p.rootfs.readonly_paths.begin(), p.rootfs.readonly_paths.end(), m) ==
        p.rootfs.readonly_paths.end())
      masks = false;
  out.docker_masked_paths = {masks, at_or_policy(p.rootfs.loc, p, "rootfs")};

  std::vector<MountFact> mounts;
  for (const ir::MountSpec& m : p.rootfs.mounts) {
    MountFact f;
    f.bind = m.kind == ir::MountSpec::Bind;
    f.source = f.bind                           ? m.source
               : m.kind == ir::MountSpec::Tmpfs ? "tmpfs"
               : m.kind == ir::MountSpec::Proc  ? "proc"
               : m.kind == ir::MountSpec::Sysfs ? "sysfs"
                                                : "devpts";
    f.target = m.target;
    f.writable = std::find(m.options.begin(), m.options.end(), "ro") == m.options.end();
    if (m.kind == ir::MountSpec::Sysfs && f.writable) out.sys_writable = {true, at(m.loc, "")};
    f.origin = at_or_policy(m.loc, p, "rootfs");
    mounts.push_back(f);
  }
  out.mounts = {mounts, at_or_policy(p.rootfs.loc, p, "rootfs")};

  std::vector<std::pair<std::string, std::string>> sysctls;
  SourceLoc sysctl_loc;
  for (const ir::Sysctl& s : p.sysctls) {
    sysctls.emplace_back(s.key, s.value);
    if (!sysctl_loc.known()) sysctl_loc = s.loc;
  }
  out.sysctls = {sysctls, at_or_policy(sysctl_loc, p, "sysctl")};
  return out;
}

namespace {

// "file syscalls[i]" for each rule imported from the JSON: the first entry that names the call
// with the same kind of action and the same capability gating.
std::vector<std::string> json_rule_origins(const nlohmann::json& j, const ir::SeccompPolicy& sp,
                                           const std::string& file) {
  std::vector<std::string> out;
  const nlohmann::json* calls =
      j.contains("syscalls") && j["syscalls"].is_array() ? &j["syscalls"] : nullptr;
  for (const ir::SyscallRule& rule : sp.rules) {
    std::string where = file;
    const bool allows =
        rule.action.kind == ir::ActionKind::Allow || rule.action.kind == ir::ActionKind::Log;
    for (size_t i = 0; calls && i < calls->size(); ++i) {
      const nlohmann::json& e = (*calls)[i];
      if (!e.is_object() || !e.contains("action") || !e["action"].is_string()) continue;
      const std::string act = e["action"].get<std::string>();
      if ((act == "SCMP_ACT_ALLOW" || act == "SCMP_ACT_LOG") != allows) continue;
      const bool gated =
          e.contains("includes") && e["includes"].is_object() && e["includes"].contains("caps");
      if (gated != !rule.requires_caps.empty()) continue;
      std::vector<std::string> entry_names;
      if (e.contains("names") && e["names"].is_array())
        for (const auto& n : e["names"])
          if (n.is_string()) entry_names.push_back(n.get<std::string>());
      if (e.contains("name") && e["name"].is_string())
        entry_names.push_back(e["name"].get<std::string>());
      if (std::find(entry_names.begin(), entry_names.end(), rule.syscall) == entry_names.end())
        continue;
      where = file + " syscalls[" + std::to_string(i) + "]";
      break;
    }
    out.push_back(where);
  }
  return out;
}

Posture from_base(const ProfileBase& base, const std::string& subject, Posture::Kind kind,
                  const std::string& what_the_input_says) {
  Posture out;
  if (base.posture) {
    out = *base.posture;
    out.assumptions.push_back("every layer but " + what_the_input_says + " is " + base.name +
                              "'s (--base)");
  } else {
    out.assumptions.push_back("every layer but " + what_the_input_says +
                              " is unknown (--base none): scored as exposed");
  }
  out.subject = subject;
  out.kind = kind;
  return out;
}

}  // namespace

std::optional<Posture> posture_of_seccomp_json(const std::string& text, const std::string& file,
                                               uint64_t capabilities,
                                               const std::string& caps_origin,
                                               const ProfileBase& base,
                                               const driver::SeccompOptions& options,
                                               DiagnosticEngine& diags) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded())
    throw Error(file + ": not JSON; a seccomp profile is a Docker or OCI seccomp JSON object");
  importer::JsonImportOptions io;
  io.capabilities = capabilities;
  io.kernel = options.kernel;
  io.file_name = file;
  ir::SeccompPolicy sp = importer::seccomp_from_json(j, io, diags);
  if (diags.has_errors()) return std::nullopt;

  Posture out = from_base(base, "seccomp profile " + file, Posture::Kind::SeccompProfile,
                          "seccomp and capabilities");
  out.seccomp = {};
  out.seccomp.known = true;
  out.seccomp.filters.push_back(driver::compile_seccomp(sp, options));
  out.seccomp.arches = sp.arches;
  out.seccomp.rule_origins = json_rule_origins(j, sp, file);
  out.seccomp.policy = std::move(sp);
  out.seccomp.origin = {{}, file};
  ir::CapabilitySets caps;
  caps.bounding = caps.permitted = caps.effective = capabilities;
  out.capabilities = {caps, {{}, caps_origin}};
  return out;
}

bool add_apparmor_profile(Posture& posture, const std::string& text, const std::string& file,
                          DiagnosticEngine& diags) {
  auto p = importer::import_apparmor(text, file, diags);
  if (!p || diags.has_errors()) return false;
  const SourceLoc loc = p->loc.known() ? p->loc : SourceLoc{file, 1, 1};
  posture.apparmor_profile = {p->name, {loc, file}};
  // Its capability rules bound what the process can use, whatever its sets hold.
  if (p->capabilities.loc.known() && posture.capabilities.known()) {
    ir::CapabilitySets c = *posture.capabilities.value;
    c.bounding &= p->capabilities.bounding;
    c.permitted &= p->capabilities.bounding;
    c.effective &= p->capabilities.bounding;
    c.inheritable &= p->capabilities.bounding;
    c.ambient &= p->capabilities.bounding;
    posture.capabilities = {c, {p->capabilities.loc, file}};
  }
  // Its file rules: a deny of writes to /proc/sys keeps it read-only.
  Fact<bool> proc_sys = posture.proc_sys_writable;
  for (const ir::PathRule& r : p->filesystem.rules)
    if (r.deny && (r.access & ir::kWrite) && denies_whole_tree(r.pattern, "/proc/sys"))
      proc_sys = {false, {r.loc, file}};
  posture.proc_sys_writable = proc_sys;
  return true;
}

std::optional<Posture> posture_of_apparmor(const std::string& text, const std::string& file,
                                           const ProfileBase& base, DiagnosticEngine& diags) {
  Posture out = from_base(base, "AppArmor profile " + file, Posture::Kind::AppArmorProfile,
                          "the LSM layer (files, network, capabilities)");
  out.apparmor_profile = {};
  out.landlock = {};
  if (!add_apparmor_profile(out, text, file, diags)) return std::nullopt;
  if (base.posture) out.landlock = {false, {{}, "an AppArmor profile has no Landlock ruleset"}};
  return out;
}

}  // namespace policy::audit
