#include "compiler/apparmor/baseline.hpp"

#include "compiler/common/error.hpp"
#include "compiler/importer/apparmor_profile.hpp"

namespace policy::apparmor {

// Docker's protections (moby/profiles apparmor/template.go, as rendered in docker-default): no
// writes directly in /proc or outside /proc/<pid>/** and /proc/sys/kernel/shm*, no access to
// sysrq-trigger and kcore, no writes under /sys except /sys/fs/cgroup, nothing under
// /sys/firmware, powercap and securityfs, no mount.
const char* baseline_profile_text() {
  return R"(@{PROC}=/proc/
profile baseline {
  deny @{PROC}/* w,
  deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,
  deny @{PROC}/sys/[^k]** w,
  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,
  deny @{PROC}/sysrq-trigger rwklx,
  deny @{PROC}/kcore rwklx,
  deny mount,
  deny /sys/[^f]*/** wklx,
  deny /sys/f[^s]*/** wklx,
  deny /sys/fs/[^c]*/** wklx,
  deny /sys/fs/c[^g]*/** wklx,
  deny /sys/fs/cg[^r]*/** wklx,
  deny /sys/firmware/** rwklx,
  deny /sys/devices/virtual/powercap/** rwklx,
  deny /sys/kernel/security/** rwklx,
}
)";
}

const ir::FilesystemPolicy& docker_baseline() {
  static const ir::FilesystemPolicy kBaseline = [] {
    DiagnosticEngine diags;
    auto p = importer::import_apparmor(baseline_profile_text(), "<baseline>", diags);
    if (!p || diags.warning_count() > 0)
      throw Error("internal error: the built-in AppArmor baseline does not import cleanly");
    return p->filesystem;
  }();
  return kBaseline;
}

size_t inherit_baseline(ir::FilesystemPolicy& fs) {
  const auto& base = docker_baseline();
  size_t added = 0;
  for (auto& r : base.rules) {
    bool have = false;
    for (auto& o : fs.rules)
      have |= o.deny == r.deny && o.access == r.access && o.pattern == r.pattern;
    if (!have) {
      fs.rules.push_back(r);
      ++added;
    }
  }
  for (auto& m : base.mount_rules) {
    bool have = false;
    for (auto& o : fs.mount_rules) have |= o.deny == m.deny && o.kind == m.kind && o.text == m.text;
    if (!have) {
      fs.mount_rules.push_back(m);
      ++added;
    }
  }
  return added;
}

}  // namespace policy::apparmor
