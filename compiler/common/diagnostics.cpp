#include "compiler/common/diagnostics.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace policy {

void DiagnosticEngine::add_source(const std::string& file, std::string text) {
  sources_[file] = std::move(text);
}

const std::string* DiagnosticEngine::source(const std::string& file) const {
  auto it = sources_.find(file);
  return it == sources_.end() ? nullptr : &it->second;
}

void DiagnosticEngine::error(const SourceLoc& loc, std::string msg, std::vector<Diagnostic> notes) {
  ++errors_;
  diags_.push_back(Diagnostic{Severity::Error, loc, std::move(msg), {}, std::move(notes)});
}

void DiagnosticEngine::warning(const char* name, const SourceLoc& loc, std::string msg,
                               std::vector<Diagnostic> notes) {
  if (disabled_.count(name)) return;
  Severity sev = werror_ ? Severity::Error : Severity::Warning;
  if (werror_) ++errors_; else ++warnings_;
  diags_.push_back(Diagnostic{sev, loc, std::move(msg), name, std::move(notes)});
}

static std::string line_of(const std::string& text, unsigned line) {
  size_t pos = 0;
  for (unsigned l = 1; l < line; ++l) {
    pos = text.find('\n', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  size_t end = text.find('\n', pos);
  return text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

std::string DiagnosticEngine::render(const Diagnostic& d) const {
  std::ostringstream os;
  const char* sev = d.severity == Severity::Error     ? "error"
                    : d.severity == Severity::Warning ? "warning"
                                                      : "note";
  if (d.loc.known())
    os << d.loc.str() << ": ";
  else if (!d.loc.file.empty())
    os << d.loc.file << ": ";
  os << sev << ": " << d.message;
  if (!d.warning_name.empty())
    os << (d.severity == Severity::Error ? " [-Werror," : " [") << "-W" << d.warning_name << "]";
  os << "\n";
  if (d.loc.known()) {
    if (const std::string* text = source(d.loc.file)) {
      std::string l = line_of(*text, d.loc.line);
      os << l << "\n";
      std::string pad;
      for (unsigned i = 1; i < d.loc.column && i - 1 < l.size(); ++i)
        pad += l[i - 1] == '\t' ? '\t' : ' ';
      os << pad << "^\n";
    }
  }
  for (const Diagnostic& n : d.notes) os << render(n);
  return os.str();
}

void DiagnosticEngine::print_all(std::ostream& os) const {
  for (const Diagnostic& d : diags_) os << render(d);
  if (errors_ || warnings_) {
    if (warnings_) os << warnings_ << (warnings_ == 1 ? " warning" : " warnings");
    if (warnings_ && errors_) os << " and ";
    if (errors_) os << errors_ << (errors_ == 1 ? " error" : " errors");
    os << " generated.\n";
  }
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower((unsigned char)a[i - 1]) !=
                                  std::tolower((unsigned char)b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      // transposition of two adjacent characters counts as one edit
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev[j - 1]);  // approximate Damerau
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> suggest(const std::string& word, const std::vector<std::string>& candidates,
                                 size_t max_results) {
  std::vector<std::pair<size_t, std::string>> scored;
  size_t limit = std::max<size_t>(1, (word.size() + 2) / 3);
  for (const std::string& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d <= limit && d < c.size()) scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (auto& [d, c] : scored) {
    if (out.size() >= max_results) break;
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

}  // namespace policy
