// parse: policy text -> AST (syntax only; names are checked by resolve).
#pragma once

#include <optional>
#include <string>

#include "compiler/common/diagnostics.hpp"
#include "compiler/frontend/ast.hpp"

namespace policy::frontend {

// Parses one file. A syntax error is reported to `diags` (file:line:col, what was expected) and
// yields nullopt; the text is registered with `diags` so diagnostics can show the source line.
std::optional<ast::File> parse_policy_text(const std::string& file_name, const std::string& text,
                                           DiagnosticEngine& diags);

}  // namespace policy::frontend
