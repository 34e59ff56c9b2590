// FNV-1a, 64 bits: names of cache entries whose content is compared in full on use (a collision
// only costs a miss). Not for anything an attacker must not be able to match.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

namespace policy {

inline uint64_t fnv1a(std::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// The same over 8-byte words (then the tail bytes): 8 times fewer multiplications, for checksums
// of large entries. Each step is a bijection of the running value, so any one changed word
// changes the result.
inline uint64_t fnv1a_words(std::string_view data) {
  uint64_t h = 1469598103934665603ULL;
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    h = (h ^ w) * 1099511628211ULL;
  }
  for (; i < data.size(); ++i) h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211ULL;
  return h;
}

// 16 lowercase hex digits.
inline std::string fnv1a_hex(std::string_view data) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a(data)));
  return buf;
}

}  // namespace policy
