// How inspection shows a live process: the text of `policyc inspect PID` and the JSON objects that
// `policyc inspect --format json` and `policyrun inspect` print (docs/inspect.md).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/inspect/process.hpp"

namespace policy::inspect {

struct ReportOptions {
  bool disassembly = false;  // each filter's instructions too (seccomp::disassemble)
};

// {"mnt": {"inode": N, "host": bool, "inspector": bool}, ...}
nlohmann::json namespaces_json(const std::vector<NamespaceInfo>& namespaces);
// [{"path": HOST DIR, "limits": {...}, "usage": {...}}] for directories a caller knows.
nlohmann::json cgroup_dirs_json(const std::vector<std::string>& dirs);
// Capabilities (five sets: hex and names), NoNewPrivs, Seccomp (mode name), SeccompFilters (count),
// AppArmor (the label), User (uid/gid as seen inside, maps), and SeccompPolicy: each filter
// decompiled (the policy text, notes, instruction count), or SeccompError when they could not be
// fetched.
nlohmann::json confinement_json(const ProcessFacts& facts, const ReportOptions& options = {});
// The whole object of `policyc inspect --format json`.
nlohmann::json to_json(const ProcessFacts& facts, const ReportOptions& options = {});
// The text of `policyc inspect`.
std::string render_text(const ProcessFacts& facts, const ReportOptions& options = {});

// Each filter of the process decompiled into policy text (index 0 the most recent), with a
// header comment saying which filter it is.
std::vector<std::string> decompiled_filters(const ProcessFacts& facts);

}  // namespace policy::inspect
