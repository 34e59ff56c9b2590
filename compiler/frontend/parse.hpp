// parse: policy text -> AST (syntax only; names are checked by resolve).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "compiler/common/diagnostics.hpp"
#include "compiler/frontend/ast.hpp"

namespace policy::frontend {

// Limits on nesting (docs/language.md, "Limits"): each is reported where it is reached.
inline constexpr unsigned kMaxConditionNesting = 256;   // parentheses and `not` in a condition
inline constexpr unsigned kMaxIncludeDepth = 64;        // include chain
inline constexpr unsigned kMaxExtendsDepth = 64;        // extends chain
inline constexpr unsigned kMaxGroupDepth = 64;          // groups inside groups
inline constexpr size_t kMaxPolicyFileSize = 16 << 20;  // bytes of one policy file

// Parses one file. A syntax error is reported to `diags` (file:line:col, what was expected) and
// yields nullopt; the text is registered with `diags` so diagnostics can show the source line.
std::optional<ast::File> parse_policy_text(const std::string& file_name, const std::string& text,
                                           DiagnosticEngine& diags);

}  // namespace policy::frontend
