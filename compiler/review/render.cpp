#include "compiler/review/render.hpp"

#include <map>

namespace policy::review {

namespace {

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "at web.pol:40:5", "removed rule at HEAD~1:web.pol:38:5", "" when the location is unknown.
std::string location_text(const Change& c) {
  if (!c.loc.known()) return "";
  return (c.removed ? "removed rule at " : "at ") + c.loc.str();
}

std::string markdown_cell(const std::string& s) {
  std::string out;
  // A policy under review is the author's text: none of it may become markup in the comment (a
  // link, an image, HTML, another table cell or row).
  for (char ch : s) {
    if (ch == '\n' || ch == '\r') {
      out += ' ';
      continue;
    }
    if (ch == '|' || ch == '`' || ch == '*' || ch == '_' || ch == '<' || ch == '>' || ch == '\\' ||
        ch == '[' || ch == ']' || ch == '!' || ch == '&' || ch == '#')
      out += '\\';
    out += ch;
  }
  return out;
}

nlohmann::json location_json(const SourceLoc& loc) {
  if (!loc.known()) return nullptr;
  return {{"file", loc.file}, {"line", loc.line}, {"column", loc.column}};
}

// SARIF's level for a change: widenings by severity, everything else a note.
const char* sarif_level(const Change& c) {
  if (c.direction != Direction::Widen) return "note";
  if (c.severity >= Severity::High) return "error";
  if (c.severity == Severity::Medium) return "warning";
  return "note";
}

// A relative path as a URI reference (RFC 3986): the characters a path may hold unescaped.
std::string uri_of(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = path.size() && path[0] == '/' ? "file://" : "";
  for (unsigned char ch : path) {
    if (isalnum(ch) ||
        std::string("/-._~!$&'()*+,;=:@").find(static_cast<char>(ch)) != std::string::npos)
      out += static_cast<char>(ch);
    else
      out += std::string("%") + kHex[ch >> 4] + kHex[ch & 15];
  }
  return out;
}

}  // namespace

std::string summary(const Delta& d) {
  if (d.changes.empty()) return "no change in privileges";
  std::string s = plural(d.count(Direction::Widen), "widening", "widenings") + ", " +
                  plural(d.count(Direction::Narrow), "narrowing", "narrowings");
  if (size_t other = d.count(Direction::Change))
    s += ", " + plural(other, "other change", "other changes");
  return s;
}

std::string render_text(const Delta& d) {
  std::string out = d.old_label + " -> " + d.new_label + ": " + summary(d) + "\n";
  for (const Change& c : d.changes) {
    out += std::string(direction_name(c.direction)) + " [" + severity_name(c.severity) + "] " +
           c.category + ": " + c.text + "\n";
    if (c.loc.known()) out += "    " + location_text(c) + "\n";
  }
  return out;
}

std::string render_markdown(const Delta& d) {
  const size_t widen = d.count(Direction::Widen);
  std::string out = std::string(widen ? "**Privileges widen**" : "**No widening**") + " from `" +
                    d.old_label + "` to `" + d.new_label + "`: " + summary(d) + ".\n";
  if (d.changes.empty()) return out;
  out += "\n| | Severity | Layer | Change | Rule |\n|---|---|---|---|---|\n";
  for (const Change& c : d.changes)
    out += std::string("| ") +
           (c.direction == Direction::Widen ? "**widen**" : direction_name(c.direction)) + " | " +
           severity_name(c.severity) + " | " + c.category + " | " + markdown_cell(c.text) + " | " +
           markdown_cell(location_text(c)) + " |\n";
  return out;
}

nlohmann::json render_json(const Delta& d) {
  nlohmann::json changes = nlohmann::json::array();
  for (const Change& c : d.changes)
    changes.push_back({{"category", c.category},
                       {"direction", direction_name(c.direction)},
                       {"severity", severity_name(c.severity)},
                       {"text", c.text},
                       {"location", location_json(c.loc)},
                       {"rule_removed", c.removed}});
  return {{"old", d.old_label},
          {"new", d.new_label},
          {"summary",
           {{"widen", d.count(Direction::Widen)},
            {"narrow", d.count(Direction::Narrow)},
            {"change", d.count(Direction::Change)},
            {"text", summary(d)}}},
          {"changes", changes}};
}

nlohmann::json render_sarif(const Delta& d) {
  nlohmann::json rules = nlohmann::json::array(), results = nlohmann::json::array();
  std::map<std::string, size_t> index;
  for (const Change& c : d.changes) {
    const std::string id = c.category + "/" + direction_name(c.direction);
    auto [it, fresh] = index.emplace(id, rules.size());
    if (fresh) {
      const char* verb = c.direction == Direction::Widen    ? "widened"
                         : c.direction == Direction::Narrow ? "narrowed"
                                                            : "changed";
      rules.push_back({{"id", id},
                       {"name", c.category + "-" + direction_name(c.direction)},
                       {"shortDescription", {{"text", c.category + ": privileges " + verb}}}});
    }
    nlohmann::json result = {
        {"ruleId", id},
        {"ruleIndex", it->second},
        {"level", sarif_level(c)},
        {"message", {{"text", c.category + ": " + c.text}}},
        {"properties",
         {{"direction", direction_name(c.direction)}, {"severity", severity_name(c.severity)}}}};
    // A rule of NEW is where a reviewer annotates; a removed rule of OLD is named in the text.
    if (c.loc.known() && !c.removed) {
      std::string file = c.loc.file;
      const std::string rev = d.new_revision + ":";
      if (!d.new_revision.empty() && file.rfind(rev, 0) == 0) file = file.substr(rev.size());
      result["locations"] = nlohmann::json::array(
          {{{"physicalLocation",
             {{"artifactLocation", {{"uri", uri_of(file)}}},
              {"region", {{"startLine", c.loc.line}, {"startColumn", c.loc.column}}}}}}});
    } else if (c.loc.known()) {
      result["message"]["text"] = c.category + ": " + c.text + " (" + location_text(c) + ")";
    }
    results.push_back(result);
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", nlohmann::json::array(
                       {{{"tool", {{"driver", {{"name", "policyc diff"}, {"rules", rules}}}}},
                         {"results", results}}})}};
}

}  // namespace policy::review
