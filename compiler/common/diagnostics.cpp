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

bool DiagnosticEngine::keep_error() {
  ++errors_;
  if (error_limit_ == 0 || errors_ <= error_limit_) return true;
  ++dropped_errors_;
  return false;
}

void DiagnosticEngine::error(const SourceLoc& loc, std::string msg, std::vector<Diagnostic> notes) {
  if (!keep_error()) return;
  diags_.push_back(Diagnostic{Severity::Error, loc, std::move(msg), {}, std::move(notes)});
}

void DiagnosticEngine::warning(const char* name, const SourceLoc& loc, std::string msg,
                               std::vector<Diagnostic> notes) {
  if (disabled_.count(name)) return;
  Severity sev = werror_ ? Severity::Error : Severity::Warning;
  if (werror_) {
    if (!keep_error()) return;
  } else {
    ++warnings_;
  }
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
      size_t caret = std::min<size_t>(d.loc.column ? d.loc.column - 1 : 0, l.size());
      // A long line is cut to kEchoWidth bytes around the caret: N errors on one long line must
      // not print it N times whole.
      size_t begin = 0, end = l.size();
      if (l.size() > kEchoWidth) {
        begin = caret > kEchoWidth / 2 ? caret - kEchoWidth / 2 : 0;
        end = std::min(l.size(), begin + kEchoWidth);
        begin = end - kEchoWidth;
        // Never cut inside a UTF-8 sequence (at most 3 continuation bytes follow a lead byte).
        auto continuation = [&](size_t i) {
          return i < l.size() && (static_cast<unsigned char>(l[i]) & 0xC0) == 0x80;
        };
        for (int n = 0; n < 3 && begin > 0 && continuation(begin); ++n) --begin;
        for (int n = 0; n < 3 && continuation(end); ++n) ++end;
      }
      const char* cut = "...";
      if (begin > 0) os << cut;
      os.write(l.data() + begin, static_cast<std::streamsize>(end - begin));
      if (end < l.size()) os << cut;
      os << "\n";
      std::string pad = begin > 0 ? "   " : "";
      for (size_t i = begin; i < caret; ++i) pad += l[i] == '\t' ? '\t' : ' ';
      os << pad << "^\n";
    }
  }
  for (const Diagnostic& n : d.notes) os << render(n);
  return os.str();
}

void DiagnosticEngine::print_all(std::ostream& os) const {
  for (const Diagnostic& d : diags_) os << render(d);
  if (dropped_errors_)
    os << "fatal error: too many errors emitted, stopping now [--error-limit=" << error_limit_
       << "]: " << dropped_errors_ << " more not shown; --error-limit 0 shows them all\n";
  if (errors_ || warnings_) {
    if (warnings_) os << warnings_ << (warnings_ == 1 ? " warning" : " warnings");
    if (warnings_ && errors_) os << " and ";
    if (errors_) os << errors_ << (errors_ == 1 ? " error" : " errors");
    os << " generated.\n";
  }
}

// Edit distance, or a number above `bound` as soon as the distance is known to exceed it: the
// caller skips pairs whose lengths alone differ by more, so each call costs O(|a| * |b|) only
// for words of comparable (short) length.
static size_t edit_distance(const std::string& a, const std::string& b, size_t bound) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower((unsigned char)a[i - 1]) !=
                                  std::tolower((unsigned char)b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      // transposition of two adjacent characters counts as one edit
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev[j - 1]);  // approximate Damerau
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > bound) return bound + 1;  // every later row is at least this
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> suggest(const std::string& word, const std::vector<std::string>& candidates,
                                 size_t max_results) {
  std::vector<std::pair<size_t, std::string>> scored;
  size_t limit = std::max<size_t>(1, (word.size() + 2) / 3);
  for (const std::string& c : candidates) {
    size_t diff = word.size() > c.size() ? word.size() - c.size() : c.size() - word.size();
    if (diff > limit) continue;  // needs at least `diff` insertions or deletions
    size_t d = edit_distance(word, c, limit);
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
