// Capability sets for other tools (OCI runtime-spec JSON) and for people (a review text).
#include <bit>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"

namespace policy::caps {

namespace {

// OCI runtime-spec config.md, "process.capabilities": the five sets by these names.
constexpr std::pair<const char*, uint64_t ir::CapabilitySets::*> kOciSets[] = {
    {"bounding", &ir::CapabilitySets::bounding},
    {"effective", &ir::CapabilitySets::effective},
    {"inheritable", &ir::CapabilitySets::inheritable},
    {"permitted", &ir::CapabilitySets::permitted},
    {"ambient", &ir::CapabilitySets::ambient}};

// Capabilities that give a container a way to the host or to the kernel (why a reviewer cares).
struct Note {
  const char* cap;
  const char* why;
};
constexpr Note kNotes[] = {
    {"SYS_ADMIN", "mount, namespaces, bpf and much more: close to full root"},
    {"SYS_MODULE", "loads kernel modules: full control of the kernel"},
    {"SYS_RAWIO", "raw I/O ports and /dev/mem: full control of the machine"},
    {"SYS_PTRACE", "traces and reads the memory of other processes"},
    {"DAC_READ_SEARCH", "open_by_handle_at can reach host files outside the container"},
    {"NET_ADMIN", "reconfigures interfaces, routes and firewalls of its network namespace"},
    {"SYS_BOOT", "reboots the host"},
    {"SYS_TIME", "sets the host's clock"},
    {"BPF", "loads BPF programs into the kernel"},
    {"PERFMON", "perf_event_open: observes the kernel and other processes"},
    {"MAC_ADMIN", "changes the LSM (AppArmor, SELinux) policy"},
    {"MAC_OVERRIDE", "bypasses the LSM policy"},
    {"SYSLOG", "reads kernel addresses from the kernel log"},
    {"NET_RAW", "raw and packet sockets: can forge traffic on its network"},
    {"MKNOD", "creates device nodes (the device cgroup still decides which can be opened)"},
};

std::string line_of(uint64_t mask) {
  std::string out;
  for (const std::string& n : names(mask)) out += (out.empty() ? "" : " ") + n;
  return out.empty() ? "(none)" : out;
}

}  // namespace

nlohmann::json to_oci(const ir::CapabilitySets& sets) {
  nlohmann::json out = nlohmann::json::object();
  for (auto& [key, field] : kOciSets) out[key] = names(sets.*field);
  return out;
}

ir::CapabilitySets from_oci(const nlohmann::json& caps, std::vector<std::string>* unknown) {
  if (!caps.is_object())
    throw Error("process.capabilities: expected an object of capability arrays, found " +
                std::string(caps.type_name()));
  ir::CapabilitySets sets;
  for (auto& [key, field] : kOciSets) {
    if (!caps.contains(key)) continue;
    const nlohmann::json& list = caps.at(key);
    if (!list.is_array())
      throw Error(std::string("process.capabilities.") + key +
                  ": expected an array of \"CAP_*\" names");
    for (const nlohmann::json& item : list) {
      if (!item.is_string())
        throw Error(std::string("process.capabilities.") + key + ": expected a string, found " +
                    std::string(item.type_name()));
      auto cap = names::capability_number(item.get<std::string>());
      if (!cap) {
        if (unknown) unknown->push_back(item.get<std::string>());
        continue;
      }
      sets.*field |= 1ULL << *cap;
    }
  }
  return sets;
}

std::string render_text(const ir::CapabilitySets& s) {
  const int total = names::last_capability() + 1;
  const uint64_t all = all_mask();
  std::string out;
  bool simple = s.permitted == s.bounding && s.effective == s.bounding && s.inheritable == 0 &&
                s.ambient == 0;
  out += "capabilities: keeps " + std::to_string(std::popcount(s.bounding & all)) + " of " +
         std::to_string(total);
  out += simple ? " (bounding = permitted = effective; inheritable and ambient empty)\n"
                : " in the bounding set\n";
  out += "  keeps: " + line_of(s.bounding) + "\n";
  out += "  drops: " + line_of(all & ~s.bounding) + "\n";
  if (!simple) {
    out += "  permitted:   " + line_of(s.permitted) + "\n";
    out += "  effective:   " + line_of(s.effective) + "\n";
    out += "  inheritable: " + line_of(s.inheritable) + "\n";
    out += "  ambient:     " + line_of(s.ambient) + "\n";
  }
  out += "  as /proc/PID/status shows them:\n";
  std::string status = status_lines(s);
  for (size_t pos = 0; pos < status.size();) {
    size_t eol = status.find('\n', pos);
    out += "    " + status.substr(pos, eol - pos + 1);
    pos = eol + 1;
  }
  for (const Note& n : kNotes) {
    auto cap = names::capability_number(n.cap);
    if (cap && s.has(*cap)) out += "  note: keeps CAP_" + std::string(n.cap) + ": " + n.why + "\n";
  }
  for (const std::string& p : check(s)) out += "  problem: " + p + "\n";
  return out;
}

}  // namespace policy::caps
