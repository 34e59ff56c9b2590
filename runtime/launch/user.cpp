#include "runtime/launch/user.hpp"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "compiler/common/error.hpp"
#include "runtime/image/user.hpp"
#include "runtime/launch/files.hpp"

namespace policy::launch::user {
namespace {

std::string render(const std::vector<ir::IdMap>& maps, uint32_t fallback_outside) {
  if (maps.empty()) return "0 " + std::to_string(fallback_outside) + " 1\n";
  std::string out;
  for (const auto& m : maps)
    out += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
           std::to_string(m.count) + "\n";
  return out;
}

}  // namespace

void write_id_maps(pid_t child, const ir::NamespacePlan& plan) {
  const std::string base = "/proc/" + std::to_string(child) + "/";
  // setgroups must be denied before gid_map is written (user_namespaces(7)); it also stops the
  // container from dropping groups to get around a group-based deny on the host.
  files::write(base + "setgroups", "deny");
  try {
    files::write(base + "uid_map", render(plan.uid_map, ::geteuid()));
    files::write(base + "gid_map", render(plan.gid_map, ::getegid()));
  } catch (const Error& e) {
    throw Error(std::string(e.what()) +
                    " (each uidmap/gidmap line must name ids that exist on the host and must not "
                    "overlap; see user_namespaces(7))",
                e.sys_errno());
  }
}

namespace {
// The id changes as raw system calls, as posix_spawn's child makes them: glibc's wrappers may try
// to apply them to every thread of the process, and the launch child can share the runtime's
// memory (namespaces::spawn_process).
int set_resuid(uid_t u) { return static_cast<int>(::syscall(SYS_setresuid, u, u, u)); }
int set_resgid(gid_t g) { return static_cast<int>(::syscall(SYS_setresgid, g, g, g)); }
int set_groups(size_t n, const gid_t* g) { return static_cast<int>(::syscall(SYS_setgroups, n, g)); }
}  // namespace

void become_namespace_root() {
  if (set_resgid(0) != 0 || set_resuid(0) != 0)
    throw sys_error("become root of the new user namespace (is id 0 mapped by uidmap/gidmap?)");
}

Identity resolve_identity(int root, const std::string& image_user, const ir::ProcessPlan& process,
                          bool in_new_userns) {
  // An empty User is root, whose passwd entry still gives HOME (Docker's /root).
  std::string spec = image_user.empty() ? "0" : image_user;
  if (process.user) spec = *process.user;  // the policy's `user NAME` wins over the image's
  image::ExecUser u =
      image::resolve_user(root, spec, process.user ? "the policy's user" : "container user");
  if (process.uid && *process.uid != u.uid) {
    const size_t colon = spec.find(':');
    u = image::resolve_user(
        root, std::to_string(*process.uid) + (colon == std::string::npos ? "" : spec.substr(colon)),
        "the policy's uid");
  }
  Identity out;
  out.home = u.home;
  out.ids.uid = u.uid;
  out.ids.gid = process.gid ? *process.gid : u.gid;
  out.ids.groups = process.supplementary_groups;
  if (!in_new_userns)
    for (uint32_t g : u.supplementary_groups)
      if (g != out.ids.gid &&
          std::find(out.ids.groups.begin(), out.ids.groups.end(), g) == out.ids.groups.end())
        out.ids.groups.push_back(g);
  return out;
}

void switch_ids(const Ids& ids, bool in_new_userns) {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw sys_error("prctl(PR_SET_KEEPCAPS, 1)");
  if (!(in_new_userns && ids.groups.empty())) {
    std::vector<gid_t> g(ids.groups.begin(), ids.groups.end());
    if (set_groups(g.size(), g.data()) != 0)
      throw sys_error(in_new_userns ? "setgroups (denied in a new user namespace: remove 'groups' "
                                      "from the policy's process section)"
                                    : "setgroups");
  }
  if (set_resgid(ids.gid) != 0)
    throw sys_error("setresgid(" + std::to_string(ids.gid) +
                    ") (is the gid mapped in the user namespace?)");
  if (set_resuid(ids.uid) != 0)
    throw sys_error("setresuid(" + std::to_string(ids.uid) +
                    ") (is the uid mapped in the user namespace?)");
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) throw sys_error("prctl(PR_SET_KEEPCAPS, 0)");
}

}  // namespace policy::launch::user
