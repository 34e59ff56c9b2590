// The audit as text for people (findings first, then the score, PSS and CIS) and as JSON.
#include <cstdio>
#include <sstream>

#include "compiler/audit/audit.hpp"

namespace policy::audit {
namespace {

const char* cis_status(CisItem::Status s) {
  switch (s) {
    case CisItem::Status::Pass:
      return "pass";
    case CisItem::Status::Fail:
      return "fail";
    case CisItem::Status::Unknown:
      return "unknown";
  }
  return "?";
}

std::string one_decimal(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string render_text(const AuditResult& r) {
  std::ostringstream os;
  os << "audit of " << r.subject << "\n";
  for (const std::string& a : r.assumptions) os << "assumption: " << a << "\n";
  os << "exposure " << one_decimal(r.score.exposure) << " " << r.score.rating
     << " (0.0 locked down .. 10.0 unconfined; docs/audit.md)\n";
  os << "Pod Security Standards: " << pss_name(r.pss.level) << "\n";
  for (const std::string& v : r.pss.baseline_violations) os << "  not baseline: " << v << "\n";
  for (const std::string& v : r.pss.restricted_violations) os << "  not restricted: " << v << "\n";

  os << "\nfindings (" << r.findings.size() << "):\n";
  for (const Finding& f : r.findings) {
    os << "  " << severity_name(f.severity) << " [" << f.id << "] " << f.title << "\n";
    os << "    at:  " << f.origin.str() << "\n";
    os << "    why: " << f.why << "\n";
    os << "    fix: " << f.fix << "\n";
  }

  os << "\nCIS Docker Benchmark v1.6.0:\n";
  for (const CisItem& c : r.cis) {
    char status[16];
    std::snprintf(status, sizeof status, "%-7s", cis_status(c.status));
    char id[8];
    std::snprintf(id, sizeof id, "%-4s", c.id.c_str());
    os << "  " << status << " " << id << " " << c.title << ": " << c.detail << "\n";
  }

  os << "\nscore (check, weight, badness):\n";
  for (const ScoreItem& i : r.score.items) {
    os << "  " << i.check << ": " << one_decimal(i.weight) << " x " << one_decimal(i.badness)
       << " (" << i.note << ")\n";
  }
  return os.str();
}

nlohmann::json render_json(const AuditResult& r) {
  nlohmann::json j;
  j["subject"] = r.subject;
  j["assumptions"] = r.assumptions;
  j["score"] = {{"exposure", r.score.exposure}, {"rating", r.score.rating}};
  nlohmann::json items = nlohmann::json::array();
  for (const ScoreItem& i : r.score.items)
    items.push_back(
        {{"check", i.check}, {"weight", i.weight}, {"badness", i.badness}, {"note", i.note}});
  j["score"]["items"] = items;
  j["pss"] = {{"level", pss_name(r.pss.level)},
              {"baseline_violations", r.pss.baseline_violations},
              {"restricted_violations", r.pss.restricted_violations}};
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : r.findings) {
    nlohmann::json o = {{"id", f.id},       {"severity", severity_name(f.severity)},
                        {"title", f.title}, {"location", f.origin.str()},
                        {"why", f.why},     {"fix", f.fix}};
    if (f.origin.loc.known())
      o["source"] = {{"file", f.origin.loc.file},
                     {"line", f.origin.loc.line},
                     {"column", f.origin.loc.column}};
    findings.push_back(o);
  }
  j["findings"] = findings;
  nlohmann::json cis = nlohmann::json::array();
  for (const CisItem& c : r.cis)
    cis.push_back(
        {{"id", c.id}, {"title", c.title}, {"status", cis_status(c.status)}, {"detail", c.detail}});
  j["cis"] = {{"benchmark", "CIS Docker Benchmark v1.6.0"}, {"items", cis}};
  return j;
}

}  // namespace policy::audit
