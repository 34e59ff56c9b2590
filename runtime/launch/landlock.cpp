#include "runtime/launch/landlock.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "compiler/common/error.hpp"
#include "compiler/landlock/abi.hpp"
#include "compiler/landlock/ruleset.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch {
namespace {

using landlock::kLatestKnownAbi;

long create_ruleset(const void* attr, unsigned long size, unsigned flags) {
  return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}
long add_rule(int fd, int type, const void* attr) {
  return ::syscall(SYS_landlock_add_rule, fd, type, attr, 0);
}
long restrict_self(int fd) {
  return ::syscall(SYS_landlock_restrict_self, fd, 0);
}

std::string where(const SourceLoc& loc) {
  return loc.known() ? loc.str() + ": " : "";
}

// Rules that Landlock could enforce at the newest ABI but not at the kernel's.
std::vector<RuleCoverage> lost_to_abi(const ir::Policy& p, const landlock::Ruleset& rs) {
  std::vector<RuleCoverage> lost;
  auto best = landlock::landlock_coverage(p, kLatestKnownAbi);
  for (size_t i = 0; i < rs.coverage.size() && i < best.size(); ++i)
    if (rs.coverage[i].status == Enforcement::NotEnforced &&
        best[i].status != Enforcement::NotEnforced)
      lost.push_back(rs.coverage[i]);
  return lost;
}

}  // namespace

int landlock_abi() {
  long v = create_ruleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : static_cast<int>(v);
}

LandlockPlan prepare_landlock(const ir::Policy& p, LandlockMode mode, std::ostream& log) {
  LandlockPlan plan;
  plan.mode = mode;
  if (mode == LandlockMode::Off) return plan;
  bool require = mode == LandlockMode::Require;
  int abi = landlock_abi();
  if (abi == 0) {
    std::string why =
        std::string("Landlock is not available in this kernel (landlock_create_ruleset: ") +
        std::strerror(errno) +
        "); it needs Linux 5.13+ with CONFIG_SECURITY_LANDLOCK and `landlock` in the "
        "lsm= boot parameter";
    if (require) throw Error(why + "; or run with --landlock=best-effort to go without it");
    log << "policyrun: note: " << why << ": the policy's Landlock rules are not enforced\n";
    return plan;
  }
  plan.ruleset = landlock::compile_ruleset(p, std::min(abi, kLatestKnownAbi));
  const landlock::Ruleset& rs = plan.ruleset;
  auto lost = lost_to_abi(p, rs);
  if (!lost.empty()) {
    std::string list;
    for (auto& c : lost) list += "\n  " + where(c.loc) + c.rule + ": " + c.reason;
    if (require)
      throw Error("Landlock ABI " + std::to_string(abi) + " of this kernel cannot enforce:" + list +
                  "\nupgrade the kernel or run with --landlock=best-effort");
    log << "policyrun: note: Landlock ABI " << abi << " of this kernel cannot enforce:" << list
        << "\n";
  }
  plan.apply = rs.restricts();
  return plan;
}

void apply_landlock(const LandlockPlan& plan, std::ostream& log) {
  if (!plan.apply) return;
  const bool require = plan.mode == LandlockMode::Require;
  const landlock::Ruleset& rs = plan.ruleset;

  landlock::RulesetAttr attr;
  attr.handled_access_fs = rs.handled_fs;
  attr.handled_access_net = rs.handled_net;
  attr.scoped = rs.scoped;
  long rfd = create_ruleset(&attr, landlock::ruleset_attr_size(rs.abi), 0);
  if (rfd < 0) throw sys_error("landlock_create_ruleset (ABI " + std::to_string(rs.abi) + ")");
  UniqueFd ruleset(static_cast<int>(rfd));

  for (auto& g : rs.paths) {
    int fd = ::open(g.path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      std::string what = where(g.loc) + "`" + g.rule + "`: " + g.path + ": " + std::strerror(e);
      if (require)
        throw Error("Landlock: cannot open " + what +
                        " (inside the container); create it in the image or run with "
                        "--landlock=best-effort to skip it",
                    e);
      log << "policyrun: note: Landlock skips " << what << "\n";
      continue;
    }
    UniqueFd path(fd);
    struct stat st {};
    if (::fstat(path.get(), &st) != 0) throw sys_error("Landlock: fstat", g.path);
    landlock_path_beneath_attr pb{};
    pb.allowed_access = S_ISDIR(st.st_mode) ? g.access : (g.access & landlock::file_rights());
    pb.parent_fd = path.get();
    if (pb.allowed_access == 0) continue;
    if (add_rule(ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &pb) != 0)
      throw sys_error(
          "landlock_add_rule (path beneath, " + landlock::fs_access_names(pb.allowed_access) + ")",
          g.path);
  }
  for (auto& r : rs.ports) {
    for (uint32_t port = r.first; port <= r.last; ++port) {
      landlock::NetPortAttr np;
      np.allowed_access = r.access;
      np.port = port;
      if (add_rule(ruleset.get(), landlock::kRuleNetPort, &np) != 0)
        throw sys_error("landlock_add_rule (tcp port " + std::to_string(port) + ")");
    }
  }
  if (restrict_self(ruleset.get()) != 0) {
    int e = errno;
    if (e == EPERM && ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
      throw Error(
          "landlock_restrict_self: Operation not permitted: no_new_privs is not set and "
          "the process lacks CAP_SYS_ADMIN; keep `no_new_privileges` in the policy's "
          "process section",
          e);
    errno = e;
    throw sys_error("landlock_restrict_self");
  }
}

void apply_landlock(const ir::Policy& p, LandlockMode mode, std::ostream& log) {
  apply_landlock(prepare_landlock(p, mode, log), log);
}

}  // namespace policy::launch
