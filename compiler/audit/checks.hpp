// The checks behind run_audit (audit.hpp), one file per concern: the seccomp layer judged on the
// compiled filters (seccomp_checks.cpp), the other layers (layer_checks.cpp), the Pod Security
// Standards and the CIS Docker Benchmark (standards.cpp). Each check adds its score item and,
// when the posture is exposed there, its finding.
#pragma once

#include <optional>
#include <string>

#include "compiler/audit/audit.hpp"

namespace policy::audit::detail {

// A check's share of the score by the severity of what it finds (docs/audit.md "Weights").
double severity_weight(Severity s);

// Adds a score item, and its finding when there is one.
void add_check(AuditResult& r, const std::string& check, Severity severity, double badness,
               const std::string& note, std::optional<Finding> finding);

// "not known: the input does not say (<origin>)", said in findings and notes.
std::string unknown_note(const Origin& origin);

void check_seccomp(const Posture& p, AuditResult& r);
void check_layers(const Posture& p, AuditResult& r);
PssResult judge_pss(const Posture& p);
std::vector<CisItem> judge_cis(const Posture& p, const AuditResult& r);

// Facts several checks read.
bool runs_as_root(const Posture& p);  // true when the user is 0/root or unknown
bool seccomp_filter_present(const Posture& p);
bool posture_lsm_confines(const Posture& p);  // an AppArmor profile or a Landlock ruleset
bool is_safe_sysctl(const std::string& key);  // the Pod Security Standards' safe set
bool sensitive_host_path(const std::string& host_path);  // /, /etc, docker.sock, ...

}  // namespace policy::audit::detail
