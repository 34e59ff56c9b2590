// run_audit: every check of checks.hpp on one posture, the exposure score from their weights, the
// Pod Security Standards level and the CIS items.
#include "compiler/audit/audit.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "compiler/audit/checks.hpp"

namespace policy::audit {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Info:
      return "info";
    case Severity::Low:
      return "low";
    case Severity::Medium:
      return "medium";
    case Severity::High:
      return "high";
    case Severity::Critical:
      return "critical";
  }
  return "?";
}

std::optional<Severity> parse_severity(const std::string& word) {
  for (Severity s :
       {Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical})
    if (word == severity_name(s)) return s;
  return std::nullopt;
}

const char* pss_name(PssLevel l) {
  switch (l) {
    case PssLevel::Privileged:
      return "privileged";
    case PssLevel::Baseline:
      return "baseline";
    case PssLevel::Restricted:
      return "restricted";
  }
  return "?";
}

namespace detail {

double severity_weight(Severity s) {
  switch (s) {
    case Severity::Info:
      return 0.5;
    case Severity::Low:
      return 1;
    case Severity::Medium:
      return 3;
    case Severity::High:
      return 5;
    case Severity::Critical:
      return 8;
  }
  return 0;
}

void add_check(AuditResult& r, const std::string& check, Severity severity, double badness,
               const std::string& note, std::optional<Finding> finding) {
  r.score.items.push_back({check, severity_weight(severity), badness, note});
  if (finding) r.findings.push_back(std::move(*finding));
}

std::string unknown_note(const Origin& origin) {
  (void)origin;  // shown on the finding's "at" line
  return "the input does not say";
}

}  // namespace detail

namespace {

// systemd-analyze security's words for its exposure levels (src/analyze/analyze-security.c).
const char* rating(int tenths) {
  if (tenths >= 100) return "DANGEROUS";
  if (tenths >= 90) return "UNSAFE";
  if (tenths >= 75) return "EXPOSED";
  if (tenths >= 50) return "MEDIUM";
  if (tenths >= 10) return "OK";
  if (tenths >= 1) return "SAFE";
  return "PERFECT";
}

}  // namespace

AuditResult run_audit(const Posture& posture) {
  AuditResult r;
  r.subject = posture.subject;
  r.assumptions = posture.assumptions;
  detail::check_seccomp(posture, r);
  detail::check_layers(posture, r);

  double sum = 0, weights = 0;
  for (const ScoreItem& i : r.score.items) {
    sum += i.weight * i.badness;
    weights += i.weight;
  }
  // As systemd: the weighted share of badness, rounded up to a tenth (0.0 only when nothing is
  // exposed at all, 10.0 only when everything is).
  const int tenths = weights > 0 ? static_cast<int>(std::ceil(sum * 100 / weights - 1e-9)) : 100;
  r.score.exposure = tenths / 10.0;
  r.score.rating = rating(tenths);

  std::stable_sort(r.findings.begin(), r.findings.end(), [](const Finding& a, const Finding& b) {
    return std::make_tuple(-static_cast<int>(a.severity), a.origin.loc.file, a.origin.loc.line,
                           a.origin.loc.column, a.origin.where) <
           std::make_tuple(-static_cast<int>(b.severity), b.origin.loc.file, b.origin.loc.line,
                           b.origin.loc.column, b.origin.where);
  });
  r.pss = detail::judge_pss(posture);
  r.cis = detail::judge_cis(posture, r);
  return r;
}

}  // namespace policy::audit
