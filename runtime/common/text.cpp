#include "runtime/common/text.hpp"

namespace policy::runtime {

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  for (size_t pos = 0;;) {
    const size_t end = text.find(sep, pos);
    out.emplace_back(text.substr(pos, end == std::string_view::npos ? end : end - pos));
    if (end == std::string_view::npos) return out;
    pos = end + 1;
  }
}

std::string hex_bytes(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string printable(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

}  // namespace policy::runtime
