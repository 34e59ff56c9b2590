// The five capability sets as /proc/PID/status shows them, and the combinations the kernel refuses.
#include <array>
#include <utility>

#include "compiler/caps/capability_formats.hpp"

namespace policy::caps {

namespace {

// /proc/PID/status order (fs/proc/array.c: render_cap_t calls).
std::array<std::pair<const char*, uint64_t ir::CapabilitySets::*>, 5> status_fields() {
  return {{{"CapInh", &ir::CapabilitySets::inheritable},
           {"CapPrm", &ir::CapabilitySets::permitted},
           {"CapEff", &ir::CapabilitySets::effective},
           {"CapBnd", &ir::CapabilitySets::bounding},
           {"CapAmb", &ir::CapabilitySets::ambient}}};
}

std::string joined(uint64_t mask) {
  std::string out;
  for (const std::string& n : names(mask)) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::string status_lines(const ir::CapabilitySets& sets) {
  std::string out;
  for (auto& [label, field] : status_fields())
    out += std::string(label) + ":\t" + status_hex(sets.*field) + "\n";
  return out;
}

std::optional<ir::CapabilitySets> parse_status(std::string_view text) {
  ir::CapabilitySets sets;
  unsigned found = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    unsigned bit = 0;
    for (auto& [label, field] : status_fields()) {
      std::string prefix = std::string(label) + ":";
      if (line.substr(0, prefix.size()) == prefix) {
        std::string_view value = line.substr(prefix.size());
        while (!value.empty() && (value.front() == '\t' || value.front() == ' '))
          value.remove_prefix(1);
        auto mask = parse_mask(value);
        if (!mask || value.size() != 16) return std::nullopt;
        sets.*field = *mask;
        found |= 1u << bit;
      }
      ++bit;
    }
  }
  if (found != 0x1f) return std::nullopt;
  return sets;
}

std::vector<std::string> check(const ir::CapabilitySets& s) {
  std::vector<std::string> problems;
  if (uint64_t bad = s.ambient & ~(s.permitted & s.inheritable))
    problems.push_back("ambient capabilities must also be permitted and inheritable: " +
                       joined(bad) + " (the kernel refuses to raise them)");
  if (uint64_t bad = s.effective & ~s.permitted)
    problems.push_back("effective capabilities must also be permitted: " + joined(bad) +
                       " (capset would fail with EPERM)");
  uint64_t all = s.bounding | s.permitted | s.effective | s.inheritable | s.ambient;
  if (uint64_t bad = all & ~all_mask())
    problems.push_back("capabilities unknown to libcap on this host: " + joined(bad));
  return problems;
}

}  // namespace policy::caps
