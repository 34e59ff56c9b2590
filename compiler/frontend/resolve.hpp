// resolve: AST -> Policy IR. Internal interface of the front end (frontend.hpp is the public one).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/common/diagnostics.hpp"
#include "compiler/frontend/ast.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/ir/policy.hpp"

namespace policy::frontend {

// Every file read for one compilation (includes first) and the names they define.
struct Program {
  std::vector<std::unique_ptr<ast::File>> files;
  std::map<std::string, const ast::Group*> groups;
  std::map<std::string, const ast::Policy*> policies;
};

// One syscall of a group, nested groups expanded.
struct GroupMember {
  std::string syscall;
  std::string via;  // "@outer > @inner"
  SourceLoc loc;    // where the group lists it
};
// Expanded groups by name; nullopt for a group with errors.
using GroupExpansions = std::map<std::string, std::optional<std::vector<GroupMember>>>;

// `groups`: expansions already made (by check_groups), reused and extended; may be null.
std::optional<ir::Policy> resolve_policy(const Program& program, const ast::Policy& selected,
                                         const LoadOptions& options, DiagnosticEngine& diags,
                                         GroupExpansions* groups = nullptr);

// Checks every group of the program (unknown syscalls, unknown or cyclic member groups). The
// expansions are left in `groups` when given, so that resolve_policy does not repeat them.
void check_groups(const Program& program, DiagnosticEngine& diags,
                  GroupExpansions* groups = nullptr);

// 'word' in quotes; a word longer than 64 bytes is cut ("'abc...' (N bytes)"): a message must not
// echo a megabyte-long token.
std::string quoted_word(const std::string& word);

// "unknown X 'word'" + "; did you mean 'Y'?" when a candidate is close.
std::string unknown_message(const std::string& what, const std::string& word,
                            const std::vector<std::string>& candidates);

// Integer literal (decimal, 0x, 0o, 0b) -> value; nullopt on overflow.
std::optional<uint64_t> parse_integer(const std::string& text);

// Argument conditions -> disjunctive normal form (conditions.cpp). Reports unknown argument or
// constant names and returns nullopt; `warn_pointers` adds -Wpointer-argument warnings.
std::optional<ir::Condition> resolve_condition(const ast::CondExpr& cond,
                                               const std::string& syscall, DiagnosticEngine& diags);

// The non-syscall sections of one policy, applied on top of what its bases gave (sections.cpp).
void apply_filesystem(const ast::FilesystemSection& s, ir::FilesystemPolicy& out,
                      DiagnosticEngine& diags);
void apply_network(const ast::NetworkSection& s, ir::NetworkPolicy& out, DiagnosticEngine& diags);
void apply_namespaces(const ast::NamespacesSection& s, ir::NamespacePlan& out,
                      DiagnosticEngine& diags);
void apply_resources(const ast::SettingsSection& s, ir::ResourceLimits& out,
                     DiagnosticEngine& diags);
void apply_process(const ast::SettingsSection& s, ir::ProcessPlan& out, DiagnosticEngine& diags);
void apply_rootfs(const ast::SettingsSection& s, ir::RootfsPlan& out, DiagnosticEngine& diags);
void apply_devices(const ast::SettingsSection& s, ir::DevicePlan& out, DiagnosticEngine& diags);
void apply_sysctl(const ast::SettingsSection& s, std::vector<ir::Sysctl>& out,
                  DiagnosticEngine& diags);
// A path must start with '/' or '@{' (else an error at the path).
bool check_path(const ast::Token& t, DiagnosticEngine& diags);

// `-X` removals (docs/language.md, "Removals"): each takes X away from what the policies before
// `policy` in the extends order gave, records it in `out.removals`, and reports a removal of
// something not inherited, or granted again by the same section (removals.cpp; the syscalls and
// capabilities ones are in resolve.cpp). They run before the section's own items.
void remove_namespaces(const ast::NamespacesSection& s, const std::string& policy, ir::Policy& out,
                       DiagnosticEngine& diags);
void remove_mounts(const ast::SettingsSection& s, const std::string& policy, ir::Policy& out,
                   DiagnosticEngine& diags);
void remove_paths(const ast::FilesystemSection& s, const std::string& policy, ir::Policy& out,
                  DiagnosticEngine& diags);
// "'-X' removes nothing: the bases of policy 'p' grant no WHAT 'X'; did you mean '-Y'?" (Y among
// `inherited`), or "; remove the line".
std::string removes_nothing_message(const ast::Removal& r, const std::string& what,
                                    const std::string& policy,
                                    const std::vector<std::string>& inherited);
// "'-X' and ADDING in the same section: ...", with a note at what grants it.
void report_added_and_removed(const ast::Removal& r, const std::string& adding,
                              const SourceLoc& adding_loc, DiagnosticEngine& diags);

// Only namespaced sysctls, each with the namespace it belongs to (as runc validates them).
void check_sysctls(const ir::Policy& p, DiagnosticEngine& diags);

}  // namespace policy::frontend
