#include "compiler/importer/apparmor_profile.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "compiler/common/names.hpp"
#include "compiler/ir/apparmor_perms.hpp"
#include "compiler/ir/path_variables.hpp"

namespace policy::importer {
namespace {

constexpr const char* kWarnImport = "apparmor-import";

struct Token {
  enum Kind { Word, Comma, Open, Close, Include, Assign, End } kind = End;
  std::string text;  // Word: as written (quotes kept); Include: the rest of the line
  SourceLoc loc;
};

class Lexer {
 public:
  Lexer(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    bool line_start = true;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '\n') {
        advance();
        line_start = true;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c))) {
        advance();
        continue;
      }
      SourceLoc loc{file_, line_, col_};
      if (c == '#') {
        if (s_.compare(i_, 8, "#include") == 0) {
          out.push_back({Token::Include, rest_of_line(8), loc});
        } else {
          rest_of_line(0);
        }
        continue;
      }
      if (line_start && word_at("include")) {
        out.push_back({Token::Include, rest_of_line(7), loc});
        continue;
      }
      if (line_start && c == '@' && is_assignment()) {
        out.push_back({Token::Assign, rest_of_line(0), loc});
        continue;
      }
      line_start = false;
      if (c == ',') {
        advance();
        out.push_back({Token::Comma, ",", loc});
      } else if (c == '{') {
        advance();
        out.push_back({Token::Open, "{", loc});
      } else if (c == '}') {
        advance();
        out.push_back({Token::Close, "}", loc});
      } else {
        out.push_back({Token::Word, word(), loc});
      }
    }
    out.push_back({Token::End, "", SourceLoc{file_, line_, col_}});
    return out;
  }

 private:
  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
  bool word_at(const char* w) {
    size_t n = std::char_traits<char>::length(w);
    return s_.compare(i_, n, w) == 0 && i_ + n < s_.size() &&
           std::isspace(static_cast<unsigned char>(s_[i_ + n]));
  }
  // @{NAME} = value... or @{NAME} += value... (a whole line, no trailing comma)
  bool is_assignment() {
    size_t end = s_.find('}', i_);
    size_t nl = s_.find('\n', i_);
    if (end == std::string::npos || (nl != std::string::npos && end > nl)) return false;
    size_t j = end + 1;
    while (j < s_.size() && (s_[j] == ' ' || s_[j] == '\t')) ++j;
    return j < s_.size() && (s_[j] == '=' || s_.compare(j, 2, "+=") == 0);
  }
  std::string rest_of_line(size_t skip) {
    for (size_t k = 0; k < skip; ++k) advance();
    std::string out;
    while (i_ < s_.size() && s_[i_] != '\n') {
      out += s_[i_];
      advance();
    }
    return out;
  }
  // A word runs to whitespace, ',' or '}' outside of (), [], {} and quotes.
  std::string word() {
    std::string out;
    int depth = 0;
    bool quote = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (quote) {
        if (c == '\\' && i_ + 1 < s_.size()) {
          out += c;
          advance();
          c = s_[i_];
        } else if (c == '"') {
          quote = false;
        }
      } else if (c == '"') {
        quote = true;
      } else if (c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == ')' || c == ']' || (c == '}' && depth > 0)) {
        --depth;
      } else if (depth == 0 &&
                 (std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == '}')) {
        break;
      } else if (depth > 0 && c == '\n') {
        break;  // an unclosed bracket never spans lines
      }
      out += c;
      advance();
    }
    return out;
  }

  const std::string& s_;
  std::string file_;
  size_t i_ = 0;
  unsigned line_ = 1, col_ = 1;
};

std::string unquote(const std::string& w) {
  if (w.size() < 2 || w.front() != '"' || w.back() != '"') return w;
  std::string out;
  for (size_t i = 1; i + 1 < w.size(); ++i) {
    if (w[i] == '\\' && i + 2 < w.size()) ++i;
    out += w[i];
  }
  return out;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "(send, receive)" or "(send receive)" -> {"send", "receive"}
std::vector<std::string> split_list(const std::string& w) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : w) {
    if (c == '(' || c == ')' || c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool is_path(const std::string& w) {
  std::string u = unquote(w);
  return !u.empty() && (u[0] == '/' || u.compare(0, 2, "@{") == 0);
}

// A policy name (docs/language.md identifier) for a profile name: /usr/bin/foo -> usr.bin.foo.
std::string policy_name_for(const std::string& profile) {
  std::string out;
  for (char c : profile) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')
      out += c;
    else if (c == '/')
      out += out.empty() ? "" : ".";
    else
      out += '_';
  }
  if (out.empty() || !(std::isalpha(static_cast<unsigned char>(out[0])) || out[0] == '_'))
    out = "_" + out;
  return out;
}

class Importer {
 public:
  Importer(const std::string& file, DiagnosticEngine& d) : file_(file), d_(d) {}

  std::optional<ir::Policy> run(std::vector<Token> toks) {
    t_ = std::move(toks);
    bool found = false;
    while (peek().kind != Token::End) {
      const Token& t = peek();
      if (t.kind == Token::Include) {
        d_.warning(kWarnImport, t.loc,
                   "include" + t.text + " is not followed; only this file's rules are imported");
        ++p_;
      } else if (t.kind == Token::Assign) {
        assignment(t);
        ++p_;
      } else if (t.kind == Token::Word && t.text == "abi") {
        skip_statement();
      } else if (t.kind == Token::Word && t.text.compare(0, 2, "@{") != 0 &&
                 (t.text == "profile" || is_path(t.text) || t.text[0] == '"')) {
        if (found) {
          d_.warning(kWarnImport, t.loc, "only the first profile of the file is imported");
          skip_block_statement();
        } else {
          found = true;
          if (!profile()) return std::nullopt;
        }
      } else {
        d_.error(t.loc,
                 "expected a profile, an abi, include or variable line, found '" + t.text + "'");
        return std::nullopt;
      }
    }
    if (!found) {
      d_.error(SourceLoc{file_, 1, 1}, "no profile in this file");
      return std::nullopt;
    }
    if (d_.has_errors()) return std::nullopt;
    return policy_;
  }

 private:
  const Token& peek(size_t k = 0) const { return t_[std::min(p_ + k, t_.size() - 1)]; }

  void skip_statement() {
    while (peek().kind != Token::End && peek().kind != Token::Comma) ++p_;
    if (peek().kind == Token::Comma) ++p_;
  }
  // Skips words up to and including a balanced { ... } block.
  void skip_block_statement() {
    while (peek().kind != Token::End && peek().kind != Token::Open) ++p_;
    int depth = 0;
    while (peek().kind != Token::End) {
      if (peek().kind == Token::Open) ++depth;
      if (peek().kind == Token::Close && --depth == 0) {
        ++p_;
        return;
      }
      ++p_;
    }
  }

  void assignment(const Token& t) {
    size_t close = t.text.find('}');
    std::string name = t.text.substr(2, close - 2);
    std::string rest = trim(t.text.substr(close + 1));
    bool append = rest.compare(0, 2, "+=") == 0;
    rest = trim(rest.substr(append ? 2 : 1));
    if (size_t hash = rest.find(" #"); hash != std::string::npos) rest = trim(rest.substr(0, hash));
    std::vector<std::string> values;
    for (auto& v : split_list(rest)) values.push_back(unquote(v));
    auto& slot = vars_[name];
    if (!append) slot.clear();
    slot.insert(slot.end(), values.begin(), values.end());
  }

  // Known variables keep their @{NAME} form (the profile generator defines them again); others
  // defined in this file are substituted. nullopt when a variable is undefined.
  std::optional<std::string> resolve_path(const std::string& word, const SourceLoc& loc) {
    std::string path = unquote(word);
    for (auto& v : ir::variables_in(path)) {
      auto it = vars_.find(v);
      auto known = ir::variable_value(v);
      if (known && (it == vars_.end() || (it->second.size() == 1 && it->second[0] == *known)))
        continue;
      if (it == vars_.end() || it->second.empty()) {
        d_.warning(kWarnImport, loc,
                   "variable @{" + v +
                       "} is not defined in this file (includes are not "
                       "followed); the rule is left out");
        return std::nullopt;
      }
      std::string value = it->second[0];
      if (it->second.size() > 1) {
        // AppArmor paths must start with '/': /{a,b} rather than {/a,/b}
        bool all_abs = true;
        for (auto& v : it->second) all_abs &= !v.empty() && v[0] == '/';
        value = all_abs ? "/{" : "{";
        for (size_t i = 0; i < it->second.size(); ++i)
          value += (i ? "," : "") + it->second[i].substr(all_abs ? 1 : 0);
        value += "}";
      }
      std::string ref = "@{" + v + "}";
      for (size_t at = path.find(ref); at != std::string::npos;
           at = path.find(ref, at + value.size()))
        path.replace(at, ref.size(), value);
    }
    return path;
  }

  bool profile() {
    SourceLoc loc = peek().loc;
    if (peek().text == "profile") ++p_;
    if (peek().kind != Token::Word) {
      d_.error(peek().loc, "expected the profile's name after 'profile'");
      return false;
    }
    std::string name = unquote(peek().text);
    ++p_;
    policy_.name = policy_name_for(name);
    policy_.loc = loc;
    if (policy_.name != name)
      d_.warning(kWarnImport, loc,
                 "profile '" + name + "' is imported as policy '" + policy_.name +
                     "' (policy names are identifiers)");
    while (peek().kind == Token::Word) {  // attachment and flags
      const Token& w = peek();
      if (w.text.compare(0, 6, "flags=") == 0) {
        for (auto& f : split_list(w.text.substr(6))) {
          if (f == "attach_disconnected" || f == "mediate_deleted") continue;
          d_.warning(kWarnImport, w.loc,
                     "profile flag '" + f +
                         "' is not imported: policyc writes enforce-mode "
                         "profiles with flags=(attach_disconnected,mediate_deleted)");
        }
      } else if (w.text.compare(0, 6, "xattrs") != 0) {
        d_.warning(kWarnImport, w.loc,
                   "attachment '" + w.text +
                       "' is not imported: policyrun attaches the profile "
                       "by name on exec");
      }
      ++p_;
    }
    if (peek().kind != Token::Open) {
      d_.error(peek().loc, "expected '{' to open profile '" + name + "'");
      return false;
    }
    ++p_;
    policy_.filesystem.specified = true;
    policy_.network.specified = true;
    while (peek().kind != Token::Close) {
      if (peek().kind == Token::End) {
        d_.error(peek().loc, "profile '" + name + "' is not closed: missing '}'");
        return false;
      }
      if (peek().kind == Token::Include) {
        d_.warning(kWarnImport, peek().loc,
                   "include" + peek().text + " is not followed; its rules are not imported");
        ++p_;
        continue;
      }
      if (peek().kind == Token::Assign) {
        assignment(peek());
        ++p_;
        continue;
      }
      if (peek().kind == Token::Comma) {
        ++p_;
        continue;
      }
      statement();
    }
    ++p_;
    return true;
  }

  // One rule: words up to ','. A '{' instead means a nested profile or hat, which is skipped.
  void statement() {
    size_t start = p_;
    std::vector<Token> words;
    while (peek().kind == Token::Word) words.push_back(t_[p_++]);
    if (peek().kind == Token::Open) {
      p_ = start;
      d_.warning(kWarnImport, t_[start].loc,
                 "nested profile or hat is not imported; its rules do not apply to this profile");
      skip_block_statement();
      return;
    }
    if (peek().kind == Token::Comma) {
      ++p_;
    } else {
      d_.error(peek().loc, "expected ',' at the end of the rule");
      if (peek().kind != Token::Close && peek().kind != Token::End) ++p_;
    }
    if (words.empty()) return;
    rule(words);
  }

  void rule(std::vector<Token> w) {
    SourceLoc loc = w[0].loc;
    bool deny = false;
    size_t i = 0;
    for (; i < w.size(); ++i) {
      const std::string& q = w[i].text;
      if (q == "audit" || q == "allow") continue;
      if (q == "deny") {
        deny = true;
        continue;
      }
      if (q == "owner" || q == "other") {
        d_.warning(kWarnImport, w[i].loc,
                   "'" + q +
                       "' qualifier is not represented in the policy; the rule is imported "
                       "for every owner (broader)");
        continue;
      }
      break;
    }
    if (i == w.size()) {
      d_.error(loc, "rule has qualifiers but no rule");
      return;
    }
    std::vector<Token> rest(w.begin() + static_cast<long>(i), w.end());
    const std::string& k = rest[0].text;
    auto tail = [&](size_t from) {
      std::string s;
      for (size_t j = from; j < rest.size(); ++j) s += (s.empty() ? "" : " ") + rest[j].text;
      return s;
    };
    if (k == "file") {
      if (rest.size() == 1) {
        if (deny) {
          d_.warning(kWarnImport, loc, "'deny file,' is imported as no file access at all");
          policy_.filesystem.allow_all_files = false;
        } else {
          policy_.filesystem.allow_all_files = true;
          policy_.filesystem.allow_all_loc = loc;
        }
        return;
      }
      rest.erase(rest.begin());
      return path_rule(deny, rest, loc);
    }
    if (is_path(k) ||
        (rest.size() >= 2 && ir::looks_like_apparmor_permissions(k) && is_path(rest[1].text)))
      return path_rule(deny, rest, loc);
    if (k == "network") {
      if (rest.size() > 3) {
        d_.warning(kWarnImport, loc,
                   "network rule '" + tail(0) + "' is imported without '" + tail(3) +
                       "' (the policy holds a family and a type)");
      }
      ir::SocketRule s;
      s.deny = deny;
      if (rest.size() > 1) s.family = rest[1].text;
      if (rest.size() > 2) s.type = rest[2].text;
      s.loc = loc;
      policy_.network.sockets.push_back(s);
      return;
    }
    if (k == "capability") return capability(deny, rest, loc);
    if (k == "mount" || k == "umount" || k == "unmount" || k == "remount" || k == "pivot_root") {
      ir::MountRule m;
      m.deny = deny;
      m.kind = k == "unmount" ? "umount" : k;
      m.text = tail(1);
      m.loc = loc;
      policy_.filesystem.mount_rules.push_back(m);
      return;
    }
    if (k == "signal" || k == "ptrace") return peer_rule(k, deny, rest, loc);
    if (k == "link") {
      d_.warning(kWarnImport, loc, "link rule '" + tail(0) + "' is not imported");
      return;
    }
    d_.warning(
        kWarnImport, loc,
        "'" + k + "' rules are not represented in the policy; '" + tail(0) + "' is not imported");
  }

  void path_rule(bool deny, const std::vector<Token>& w, const SourceLoc& loc) {
    // PATH PERMS [-> TARGET]  or  PERMS PATH [-> TARGET]
    size_t path_at = is_path(w[0].text) ? 0 : 1;
    size_t perms_at = path_at == 0 ? 1 : 0;
    if (w.size() <= perms_at || w.size() <= path_at) {
      d_.error(loc, "file rule needs a path and permissions");
      return;
    }
    size_t next = std::max(path_at, perms_at) + 1;
    const bool arrow = next < w.size() && w[next].text == "->";
    if (arrow && next + 1 >= w.size()) {
      d_.error(w[next].loc, "'->' needs a target profile");
      return;
    }
    ir::AppArmorPermissions perms =
        ir::parse_apparmor_permissions(w[perms_at].text, deny, /*has_target=*/arrow);
    if (!perms.ok()) {
      d_.error(w[perms_at].loc,
               "invalid file permissions '" + w[perms_at].text + "': " + perms.error);
      return;
    }
    ir::PathRule r;
    r.deny = deny;
    r.loc = loc;
    r.access = perms.access;
    r.exec_mode = perms.exec_mode;
    // A deny rule refuses every exec, whatever target it names.
    if (arrow && !deny) r.exec_mode += " -> " + w[next + 1].text;
    auto path = resolve_path(w[path_at].text, w[path_at].loc);
    if (!path) return;
    r.pattern = *path;
    policy_.filesystem.rules.push_back(r);
  }

  void capability(bool deny, const std::vector<Token>& w, const SourceLoc& loc) {
    if (w.size() == 1) {
      if (deny) {
        d_.warning(kWarnImport, loc, "'deny capability,' is imported as no capabilities at all");
        policy_.capabilities = ir::CapabilitySets{};
        policy_.capabilities.loc = loc;
      }
      // `capability,` allows every capability: the process's capability sets are left to the
      // policy (docker-default keeps Docker's 14), as Docker does.
      return;
    }
    uint64_t bits = 0;
    for (size_t j = 1; j < w.size(); ++j) {
      auto n = names::capability_number(w[j].text);
      if (!n) {
        d_.error(w[j].loc, "unknown capability '" + w[j].text + "'");
        continue;
      }
      bits |= 1ULL << *n;
    }
    auto& c = policy_.capabilities;
    if (deny) {
      if (!cap_allow_list_) {
        d_.warning(kWarnImport, loc,
                   "'deny capability' without an allow list is not imported: the capability sets "
                   "are left to the policy");
        return;
      }
      c.bounding &= ~bits;
    } else {
      c.bounding |= bits;
      cap_allow_list_ = true;
    }
    c.permitted = c.effective = c.bounding;
    c.loc = loc;
  }

  // An AppArmor signal or ptrace permission -> the policy language's words (sections.cpp
  // accepts send/receive and trace/tracedby/read/readby); empty when AppArmor has no such word.
  static std::vector<std::string> peer_permission(const std::string& kind, const std::string& p) {
    if (kind == "signal") {
      if (p == "send" || p == "w" || p == "write") return {"send"};
      if (p == "receive" || p == "r" || p == "read") return {"receive"};
      if (p == "rw") return {"send", "receive"};
      return {};
    }
    if (p == "read" || p == "r") return {"read"};
    if (p == "trace" || p == "w") return {"trace"};
    if (p == "readby" || p == "tracedby") return {p};
    if (p == "rw") return {"read", "trace"};
    return {};
  }

  void peer_rule(const std::string& kind, bool deny, const std::vector<Token>& w,
                 const SourceLoc& loc) {
    std::vector<std::string> perms;
    std::string peer;
    for (size_t j = 1; j < w.size(); ++j) {
      const std::string& t = w[j].text;
      if (t.compare(0, 5, "peer=") == 0) {
        peer = unquote(t.substr(5));
      } else if (t.compare(0, 4, "set=") == 0) {
        d_.warning(kWarnImport, w[j].loc,
                   "signal set '" + t +
                       "' is not represented; the rule is imported for every "
                       "signal (broader)");
      } else {
        for (auto& p : split_list(t)) {
          std::vector<std::string> mapped = peer_permission(kind, p);
          if (mapped.empty()) {
            d_.error(w[j].loc, "unknown " + kind + " permission '" + p + "' (AppArmor knows " +
                                   (kind == "signal" ? "send, receive, r, w, rw, read, write"
                                                     : "read, readby, trace, tracedby, r, w, rw") +
                                   "); fix the profile");
            continue;
          }
          for (auto& m : mapped)
            if (std::find(perms.begin(), perms.end(), m) == perms.end()) perms.push_back(m);
        }
      }
    }
    if (kind == "signal") {
      policy_.filesystem.signal_rules.push_back(ir::SignalRule{deny, perms, peer, loc});
    } else {
      policy_.filesystem.ptrace_rules.push_back(ir::PtraceRule{deny, perms, peer, loc});
    }
  }

  std::string file_;
  DiagnosticEngine& d_;
  std::vector<Token> t_;
  size_t p_ = 0;
  std::map<std::string, std::vector<std::string>> vars_;
  ir::Policy policy_;
  bool cap_allow_list_ = false;
};

}  // namespace

std::optional<ir::Policy> import_apparmor(const std::string& text, const std::string& file,
                                          DiagnosticEngine& diags) {
  diags.add_source(file, text);
  return Importer(file, diags).run(Lexer(text, file).run());
}

}  // namespace policy::importer
