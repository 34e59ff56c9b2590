// The four forms of a privilege delta (docs/review.md): text for a terminal, markdown for a
// pull-request comment (a summary line, then a table, widenings first), JSON, and SARIF 2.1.0
// for code-scanning tools (one result per change, located at the rule that causes it).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compiler/review/delta.hpp"

namespace policy::review {

// "2 widenings, 1 narrowing" or "no change in privileges".
std::string summary(const Delta& delta);
std::string render_text(const Delta& delta);
std::string render_markdown(const Delta& delta);
nlohmann::json render_json(const Delta& delta);
nlohmann::json render_sarif(const Delta& delta);

}  // namespace policy::review
