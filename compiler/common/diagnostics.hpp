// clang-style diagnostics: "file:line:col: error: msg", the source line, a caret, notes.
// Warnings have a name (-Wno-NAME silences, -Werror promotes).
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy {

enum class Severity { Note, Warning, Error };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;
  std::string warning_name;  // for warnings: e.g. "shadowed-rule"; printed as [-Wshadowed-rule]
  std::vector<Diagnostic> notes;  // attached notes (e.g. "previous rule is here")
};

// Known warning names (docs/diagnostics.md lists each with an example).
namespace warn {
inline constexpr const char* kShadowedRule = "shadowed-rule";
inline constexpr const char* kSyscallMissingOnArch = "syscall-missing-on-arch";
inline constexpr const char* kPointerArgument = "pointer-argument";
inline constexpr const char* kCapabilityDropped = "capability-dropped";
inline constexpr const char* kUnenforceable = "unenforceable";
inline constexpr const char* kChrootEscapable = "chroot-escapable";
inline constexpr const char* kNoSyscallAllowed = "all-syscalls-refused";
}  // namespace warn

class DiagnosticEngine {
 public:
  // Source text cache so diagnostics can print the offending line.
  void add_source(const std::string& file, std::string text);
  const std::string* source(const std::string& file) const;

  void disable_warning(const std::string& name) { disabled_.insert(name); }
  void set_warnings_as_errors(bool v) { werror_ = v; }
  // At most `limit` errors are kept and printed (clang's -ferror-limit); 0 keeps them all. Errors
  // past the limit still count (has_errors, error_count) but are dropped, with their notes.
  void set_error_limit(unsigned limit) { error_limit_ = limit; }
  unsigned error_limit() const { return error_limit_; }
  // True once an error was dropped because of the limit.
  bool error_limit_reached() const { return dropped_errors_ > 0; }

  void error(const SourceLoc& loc, std::string msg, std::vector<Diagnostic> notes = {});
  void warning(const char* name, const SourceLoc& loc, std::string msg,
               std::vector<Diagnostic> notes = {});
  static Diagnostic note(const SourceLoc& loc, std::string msg) {
    return Diagnostic{Severity::Note, loc, std::move(msg), {}, {}};
  }

  bool has_errors() const { return errors_ > 0; }
  unsigned error_count() const { return errors_; }
  unsigned warning_count() const { return warnings_; }
  const std::vector<Diagnostic>& diagnostics() const { return diags_; }

  // Renders one diagnostic exactly as policyc prints it (with source line and caret).
  std::string render(const Diagnostic& d) const;
  void print_all(std::ostream& os) const;

 private:
  std::map<std::string, std::string> sources_;
  std::set<std::string> disabled_;
  bool werror_ = false;
  unsigned error_limit_ = 0;
  unsigned errors_ = 0, warnings_ = 0, dropped_errors_ = 0;
  bool keep_error();
  std::vector<Diagnostic> diags_;
};

// Default of policyc's and policyrun's --error-limit.
inline constexpr unsigned kDefaultErrorLimit = 20;
// An echoed source line longer than this many bytes is cut around the caret, with "..." marks.
inline constexpr size_t kEchoWidth = 120;

// "did you mean" helper: the closest candidates by edit distance (case-insensitive),
// best first, only those close enough to be a plausible typo.
std::vector<std::string> suggest(const std::string& word, const std::vector<std::string>& candidates,
                                 size_t max_results = 1);

}  // namespace policy
