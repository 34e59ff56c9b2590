#include "compiler/inspect/report.hpp"

#include <sstream>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/inspect/filter_text.hpp"
#include "compiler/seccomp/decompile.hpp"
#include "compiler/seccomp/disassemble.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::inspect {

using nlohmann::json;

namespace {

json caps_set(uint64_t mask) {
  return {{"hex", caps::status_hex(mask)}, {"names", caps::names(mask)}};
}

std::string filter_header(const ProcessFacts& f, size_t index) {
  return "seccomp filter " + std::to_string(index) + " of " + f.subject() + " (" +
         (index + 1 == f.filters.size() && index > 0 ? "the most recently installed, " : "") +
         std::to_string(f.filters[index].size()) + " instructions), decompiled by policyc inspect";
}

std::string ids(const std::vector<uint32_t>& v, const std::optional<std::string>& map) {
  if (v.size() < 2) return "unknown";
  std::string s = std::to_string(id_inside(map, v[1]));
  if (v[1] != v[0]) s += " (real " + std::to_string(id_inside(map, v[0])) + ")";
  if (map && id_inside(map, v[1]) != v[1]) s += ", " + std::to_string(v[1]) + " on the host";
  return s;
}

std::string one_line(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ';';
  return s;
}

}  // namespace

std::vector<std::string> decompiled_filters(const ProcessFacts& f) {
  std::vector<std::string> out;
  for (size_t i = 0; i < f.filters.size(); ++i)
    out.push_back(filter_policy_text(seccomp::decompile(f.filters[i], f.arches),
                                     "filter" + std::to_string(i), {filter_header(f, i)}));
  return out;
}

json namespaces_json(const std::vector<NamespaceInfo>& namespaces) {
  json out = json::object();
  for (const NamespaceInfo& n : namespaces)
    out[n.kind] = {{"inode", n.inode}, {"host", n.host}, {"inspector", n.inspector}};
  return out;
}

json cgroup_dirs_json(const std::vector<std::string>& dirs) {
  json out = json::array();
  for (const std::string& d : dirs)
    out.push_back({{"path", d}, {"limits", cgroup_limits(d)}, {"usage", cgroup_usage(d)}});
  return out;
}

json confinement_json(const ProcessFacts& f, const ReportOptions& o) {
  json out;
  if (const auto& sets = f.status.caps)
    out["Capabilities"] = {{"CapInh", caps_set(sets->inheritable)},
                           {"CapPrm", caps_set(sets->permitted)},
                           {"CapEff", caps_set(sets->effective)},
                           {"CapBnd", caps_set(sets->bounding)},
                           {"CapAmb", caps_set(sets->ambient)}};
  out["NoNewPrivs"] = f.status.no_new_privs.value_or(false);
  out["Seccomp"] =
      f.status.seccomp_mode >= 0 ? json(seccomp_mode_name(f.status.seccomp_mode)) : json(nullptr);
  out["SeccompFilters"] =
      f.status.seccomp_filters ? json(*f.status.seccomp_filters) : json(nullptr);
  out["AppArmor"] = f.lsm_label ? json(*f.lsm_label) : json(nullptr);
  out["User"] = {{"uid", f.status.uid},
                 {"gid", f.status.gid},
                 {"uid_map", f.uid_map ? json(*f.uid_map) : json(nullptr)},
                 {"gid_map", f.gid_map ? json(*f.gid_map) : json(nullptr)}};
  out["Landlock"] = nullptr;  // the kernel does not tell
  if (!f.filters_read && f.status.seccomp_mode != 0) {
    out["SeccompError"] = f.filters_error;
  } else {
    json filters = json::array();
    for (size_t i = 0; i < f.filters.size(); ++i) {
      const seccomp::Decompiled d = seccomp::decompile(f.filters[i], f.arches);
      json one = {
          {"index", i},
          {"instructions", f.filters[i].size()},
          {"default", seccomp::describe(d.policy.default_action)},
          {"policy", filter_policy_text(d, "filter" + std::to_string(i), {filter_header(f, i)})},
          {"notes", d.notes}};
      if (o.disassembly) one["disassembly"] = seccomp::disassemble(f.filters[i]);
      filters.push_back(std::move(one));
    }
    out["SeccompPolicy"] = filters;
  }
  return out;
}

json to_json(const ProcessFacts& f, const ReportOptions& o) {
  json j;
  j["Pid"] = f.pid;
  j["Name"] = f.status.name;
  j["Namespaces"] = namespaces_json(f.namespaces);
  json cgroups = json::array();
  for (const CgroupInfo& c : f.cgroups)
    cgroups.push_back({{"controllers", c.controllers},
                       {"cgroup", c.path},
                       {"path", c.dir.empty() ? json(nullptr) : json(c.dir)},
                       {"limits", c.limits},
                       {"usage", c.usage}});
  j["Cgroups"] = cgroups;
  j.update(confinement_json(f, o));
  return j;
}

std::string render_text(const ProcessFacts& f, const ReportOptions& o) {
  std::ostringstream os;
  os << f.subject() << "\n";
  os << "  user          uid " << ids(f.status.uid, f.uid_map) << ", gid "
     << ids(f.status.gid, f.gid_map) << "\n";
  if (f.uid_map) os << "  uid_map       " << one_line(*f.uid_map) << "\n";
  if (f.gid_map) os << "  gid_map       " << one_line(*f.gid_map) << "\n";
  os << "  namespaces   ";
  for (const NamespaceInfo& n : f.namespaces)
    os << " " << n.kind << ":" << n.inode << (n.host ? "(host)" : "(own)");
  os << "\n";
  for (const CgroupInfo& c : f.cgroups) {
    if (c.limits.empty() && c.usage.empty()) continue;
    os << "  cgroup        " << (c.controllers.empty() ? "v2" : c.controllers) << " " << c.path;
    for (const auto& [k, v] : c.limits) os << " " << k << "=" << v;
    for (const auto& [k, v] : c.usage) os << " " << k << "=" << v;
    os << "\n";
  }
  if (const auto& s = f.status.caps) {
    const std::pair<const char*, uint64_t> sets[] = {{"CapInh", s->inheritable},
                                                     {"CapPrm", s->permitted},
                                                     {"CapEff", s->effective},
                                                     {"CapBnd", s->bounding},
                                                     {"CapAmb", s->ambient}};
    for (const auto& [n, m] : sets) os << "  " << n << "        " << caps::capsh_decode(m) << "\n";
  }
  os << "  NoNewPrivs    "
     << (f.status.no_new_privs ? (*f.status.no_new_privs ? "1" : "0") : "unknown") << "\n";
  os << "  AppArmor      " << (f.lsm_label ? *f.lsm_label : "none (the kernel has no LSM label)")
     << "\n";
  os << "  Landlock      unknown (the kernel does not tell whether a process is in a Landlock "
        "domain)\n";
  os << "  Seccomp       " << seccomp_mode_name(f.status.seccomp_mode);
  if (f.status.seccomp_filters) os << ", " << *f.status.seccomp_filters << " filter(s)";
  os << "\n";
  if (!f.filters_read && f.status.seccomp_mode != 0) {
    os << "  seccomp filters not read: " << f.filters_error << "\n";
    return os.str();
  }
  const std::vector<std::string> texts = decompiled_filters(f);
  for (size_t i = 0; i < f.filters.size(); ++i) {
    os << "\n";
    if (o.disassembly) os << seccomp::disassemble(f.filters[i]) << "\n";
    os << texts[i];
  }
  return os.str();
}

}  // namespace policy::inspect
