// JSON text of an artifact or report. JSON text is UTF-8, and a Linux path or file name need not
// be: such a string is an Error that names what was being written and quotes the string, not an
// internal error. Bytes are never replaced, since an artifact the kernel enforces must hold its
// paths exactly.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "compiler/common/error.hpp"

namespace policy {

namespace json_text_detail {

// The first string in `j` (keys included) that JSON cannot hold, with its bytes above 0x7e and
// below 0x20 written as \xNN.
template <typename Json>
std::optional<std::string> first_unwritable(const Json& j) {
  auto unwritable = [](const std::string& s) -> std::optional<std::string> {
    try {
      (void)Json(s).dump();
      return std::nullopt;
    } catch (const nlohmann::json::type_error&) {
      std::string shown;
      for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) {
          shown += static_cast<char>(c);
        } else {
          char b[5];
          std::snprintf(b, sizeof b, "\\x%02x", c);
          shown += b;
        }
      }
      return shown;
    }
  };
  if (j.is_string()) return unwritable(j.template get<std::string>());
  if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (auto k = unwritable(it.key())) return k;
      if (auto v = first_unwritable(it.value())) return v;
    }
  if (j.is_array())
    for (const auto& e : j)
      if (auto v = first_unwritable(e)) return v;
  return std::nullopt;
}

}  // namespace json_text_detail

// Indented by 2, newline-terminated. Json: nlohmann::json or nlohmann::ordered_json.
template <typename Json>
std::string json_text(const Json& j, const std::string& what) {
  try {
    return j.dump(2) + "\n";
  } catch (const nlohmann::json::type_error&) {
    auto s = json_text_detail::first_unwritable(j);
    throw Error(what + ": cannot be written as JSON, which must be UTF-8: \"" + s.value_or("?") +
                "\" is not (a path or file name with other bytes); rename it, or leave this "
                "output out");
  }
}

}  // namespace policy
