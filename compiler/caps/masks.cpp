// Capability masks: hex as /proc/PID/status prints it, names through libcap.
#include <cctype>
#include <cstdio>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/names.hpp"

namespace policy::caps {

uint64_t all_mask() {
  int last = names::last_capability();
  return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

std::string status_hex(uint64_t mask) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(mask));
  return buf;
}

std::optional<uint64_t> parse_mask(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  if (text.empty() || text.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

std::vector<std::string> names(uint64_t mask) {
  std::vector<std::string> out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!((mask >> cap) & 1)) continue;
    out.push_back(cap <= names::last_capability() ? names::capability_name(cap)
                                                  : "CAP_" + std::to_string(cap));
  }
  return out;
}

std::optional<uint64_t> mask_of(const std::vector<std::string>& cap_names, std::string* unknown) {
  uint64_t mask = 0;
  for (const std::string& n : cap_names) {
    auto cap = names::capability_number(n);
    if (!cap) {
      if (unknown) *unknown = n;
      return std::nullopt;
    }
    mask |= 1ULL << *cap;
  }
  return mask;
}

std::string capsh_decode(uint64_t mask) {
  std::string out = "0x" + status_hex(mask) + "=";
  bool first = true;
  for (int cap = 0; cap < 64; ++cap) {
    if (!((mask >> cap) & 1)) continue;
    if (!first) out += ',';
    first = false;
    if (cap <= names::last_capability()) {
      std::string n = names::capability_name(cap);
      for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out += n;
    } else {
      out += std::to_string(cap);
    }
  }
  return out;
}

}  // namespace policy::caps
