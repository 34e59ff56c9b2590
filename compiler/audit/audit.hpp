// `policyc audit`: findings, an exposure score, the Kubernetes Pod Security Standards level and
// the CIS Docker Benchmark items of one posture (posture.hpp), whether it comes from a policy, a
// Docker/OCI seccomp JSON, an AppArmor profile or a live process. docs/audit.md has the checks,
// their weights and how the score relates to `systemd-analyze security`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/audit/posture.hpp"

namespace policy::audit {

enum class Severity { Info, Low, Medium, High, Critical };
const char* severity_name(Severity s);  // "info", "low", "medium", "high", "critical"
// "low" -> Low; nullopt for other words.
std::optional<Severity> parse_severity(const std::string& word);

struct Finding {
  std::string id;  // stable, for suppression and tests: "syscall.ptrace", "cap.SYS_ADMIN", ...
  Severity severity = Severity::Info;
  std::string title;  // "ptrace is allowed"
  Origin origin;      // the rule (file:line:col), JSON path or /proc file that causes it
  std::string why;    // the known attack it enables: CVE or technique
  std::string fix;    // what to write instead, in policy text where it applies
};

// One weighted check of the exposure score (docs/audit.md lists them).
struct ScoreItem {
  std::string check;   // "syscall: ptrace", "capability: SYS_ADMIN", "no_new_privileges"
  double weight = 0;   // its share of the scale
  double badness = 0;  // 0 (safe) .. 1 (fully exposed); unknown facts count as exposed
  std::string note;
};

struct Score {
  double exposure = 10;  // 0.0 (locked down) .. 10.0 (unconfined), one decimal
  std::string
      rating;  // systemd-analyze's words: PERFECT, SAFE, OK, MEDIUM, EXPOSED, UNSAFE, DANGEROUS
  std::vector<ScoreItem> items;
};

enum class PssLevel { Privileged, Baseline, Restricted };
const char* pss_name(PssLevel l);  // "privileged", "baseline", "restricted"

struct PssResult {
  PssLevel level = PssLevel::Privileged;           // the strictest level every control of it meets
  std::vector<std::string> baseline_violations;    // "capability NET_ADMIN beyond the baseline set"
  std::vector<std::string> restricted_violations;  // "runs as root (runAsNonRoot)"
};

struct CisItem {
  std::string id;     // "5.4"
  std::string title;  // the benchmark's recommendation, e.g. "Ensure that privileged containers are
                      // not used"
  enum class Status { Pass, Fail, Unknown } status = Status::Unknown;
  std::string detail;
};

struct AuditResult {
  std::string subject;
  std::vector<std::string> assumptions;
  std::vector<Finding> findings;  // most severe first, then by location
  Score score;
  PssResult pss;
  std::vector<CisItem> cis;
};

AuditResult run_audit(const Posture& posture);
std::string render_text(const AuditResult& result);
nlohmann::json render_json(const AuditResult& result);

}  // namespace policy::audit
