// The Security Profiles Operator's AppArmorProfile (its abstract form) from the policy's
// filesystem, network and capability layers.
#include <algorithm>
#include <cctype>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/k8s/notes.hpp"
#include "compiler/k8s/objects.hpp"

namespace policy::k8s {

namespace {

using nlohmann::ordered_json;

void add_unique(ordered_json& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

// SPO writes "PATH ixr" for an executable, "PATH mr" for a library, "PATH r" plus "deny PATH wlk"
// for a read-only path, "PATH wlk" plus "deny PATH r" for a write-only one, "PATH rwlk" for both.
ordered_json filesystem_abstract(const ir::FilesystemPolicy& fs, ordered_json& executable,
                                 std::vector<std::string>& notes) {
  ordered_json ro = ordered_json::array(), wo = ordered_json::array(), rw = ordered_json::array();
  ordered_json exe = ordered_json::array(), lib = ordered_json::array();
  if (!fs.specified || fs.allow_all_files) {
    // Every file, as AppArmor's `file,` (or no filesystem section: files unconfined by the LSM).
    rw.push_back("/**");
    exe.push_back("/**");
    lib.push_back("/**");
  }
  for (const ir::PathRule& r : fs.rules) {
    if (r.deny) {
      note(notes, "deny rule for " + r.pattern, r.loc,
           "the abstract form has no deny rules (SPO adds its own /proc and /sys denials); the "
           "apparmor output keeps it");
      continue;
    }
    const bool read = r.access & ir::kRead;
    const bool write = r.access & (ir::kWrite | ir::kAppend);
    if (read && write)
      add_unique(rw, r.pattern);
    else if (read)
      add_unique(ro, r.pattern);  // SPO also denies writes there, even where another rule grants
    else if (write)
      add_unique(wo, r.pattern);  // SPO also denies reads there
    if (r.access & ir::kExec) {
      add_unique(exe, r.pattern);
      if (!r.exec_mode.empty() && r.exec_mode != "ix")
        note(notes, "exec mode " + r.exec_mode + " for " + r.pattern, r.loc,
             "SPO allows executables with ix (inherit) only");
    }
    if ((r.access & ir::kMap) && !(r.access & ir::kExec)) add_unique(lib, r.pattern);
    if (!read && !write && (r.access & (ir::kLink | ir::kLock)) && !(r.access & ir::kExec))
      note(notes, "link/lock access to " + r.pattern, r.loc,
           "the abstract form grants link and lock only with a write path");
  }
  for (const ir::MountRule& r : fs.mount_rules)
    note(notes, std::string(r.deny ? "deny " : "") + r.kind + " rule", r.loc,
         "the abstract form has no mount rules (SPO's profile denies mount)");
  for (const ir::SignalRule& r : fs.signal_rules)
    note(notes, std::string(r.deny ? "deny " : "") + "signal rule", r.loc,
         "the abstract form has no signal rules");
  for (const ir::PtraceRule& r : fs.ptrace_rules)
    note(notes, std::string(r.deny ? "deny " : "") + "ptrace rule", r.loc,
         "the abstract form has no ptrace rules");
  if (!exe.empty()) executable["allowedExecutables"] = exe;
  if (!lib.empty()) executable["allowedLibraries"] = lib;
  ordered_json out = ordered_json::object();
  if (!ro.empty()) out["readOnlyPaths"] = ro;
  if (!wo.empty()) out["writeOnlyPaths"] = wo;
  if (!rw.empty()) out["readWritePaths"] = rw;
  return out;
}

ordered_json network_abstract(const ir::NetworkPolicy& net, std::vector<std::string>& notes) {
  bool tcp = !net.specified, udp = !net.specified, raw = !net.specified;
  if (!net.specified)
    notes.push_back(
        "the policy leaves the network to the other layers; SPO's profile allows tcp, udp and raw "
        "sockets and no other family (unix, netlink, packet ... are refused by AppArmor)");
  for (const ir::SocketRule& r : net.sockets) {
    const std::string what = (r.deny ? "deny " : "") +
                             (r.family.empty() ? "every family" : r.family) +
                             (r.type.empty() ? "" : " " + r.type);
    const bool inet = r.family.empty() || r.family == "inet" || r.family == "inet6";
    if (r.deny) {
      note(notes, what, r.loc, "the abstract form has no deny rules for sockets");
      continue;
    }
    if (inet && (r.type.empty() || r.type == "stream")) tcp = true;
    if (inet && (r.type.empty() || r.type == "dgram")) udp = true;
    if (inet && (r.type.empty() || r.type == "raw")) raw = true;
    if (!inet || r.family.empty())
      note(notes, what, r.loc,
           "the abstract form names tcp, udp and raw only; SPO's profile has no rule for "
           "other families");
    else if (!r.type.empty() && r.type != "stream" && r.type != "dgram" && r.type != "raw")
      note(notes, what, r.loc, "the abstract form names tcp, udp and raw only");
  }
  for (const ir::PortRule& r : net.ports)
    note(notes, std::string(r.kind == ir::PortRule::Bind ? "bind" : "connect") + " port rule",
         r.loc, "ports are Landlock's, which Kubernetes does not apply");
  ordered_json protocols = ordered_json::object();
  if (tcp) protocols["allowTcp"] = true;
  if (udp) protocols["allowUdp"] = true;
  ordered_json out = {{"allowRaw", raw}};
  if (!protocols.empty()) out["allowedProtocols"] = protocols;
  return out;
}

}  // namespace

Object spo_apparmor_profile(const ir::Policy& policy) {
  Object out;
  const std::string name = object_name(policy, &out.notes);
  ordered_json abstract = ordered_json::object();
  ordered_json executable = ordered_json::object();
  ordered_json filesystem = filesystem_abstract(policy.filesystem, executable, out.notes);
  if (!executable.empty()) abstract["executable"] = executable;
  if (!filesystem.empty()) abstract["filesystem"] = filesystem;
  abstract["network"] = network_abstract(policy.network, out.notes);
  // AppArmor's capability names: libcap's, without the cap_ prefix.
  ordered_json caps = ordered_json::array();
  for (std::string c : caps::names(policy.capabilities.bounding)) {
    for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    caps.push_back(c.substr(4));
  }
  if (!caps.empty()) abstract["capability"] = {{"allowedCapabilities", caps}};
  out.object = {{"apiVersion", "security-profiles-operator.x-k8s.io/v1"},
                {"kind", "AppArmorProfile"},
                {"metadata", {{"name", name}}},
                {"spec", {{"abstract", abstract}, {"mode", "Enforce"}}}};
  return out;
}

}  // namespace policy::k8s
