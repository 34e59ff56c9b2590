#include "runtime/launch/reaper.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <set>
#include <sstream>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/files.hpp"

namespace policy::launch::reaper {
namespace {

// Lock protocol for <state_root>/run (as the image cache's tmp/): a launch holds a shared flock on
// run/ while it creates its record and locks it; collect() holds an exclusive one while it tries
// the records, so a record it can lock is never one that is being created.
constexpr const char* kSuffix = ".lock";
// A policyrun/<id> cgroup with no record anywhere is removed only when it is empty and this old:
// a live launch fills its cgroup within milliseconds of creating it.
constexpr time_t kOrphanAge = 60;

bool valid_id(const std::string& id) {
  return !id.empty() &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos;
}

// The parents a run's policyrun/<id> cgroups can be under: the caller's own cgroup and the root
// of every hierarchy (cgroup_v1.cpp, cgroup_v2.cpp).
std::set<std::string> policyrun_parents(const cgroup::Layout& layout) {
  const std::string self = files::try_read("/proc/self/cgroup").value_or("");
  std::set<std::string> out;
  auto add = [&](const std::string& mount, const std::string& root, const std::string& ctrl) {
    out.insert(cgroup::own_dir(mount, root, cgroup::own_path(self, ctrl)) + "/policyrun");
    out.insert(mount + "/policyrun");
  };
  for (const auto& [ctrl, mount] : layout.v1_mounts) add(mount, layout.v1_roots.at(ctrl), ctrl);
  if (!layout.v2_mount.empty()) add(layout.v2_mount, layout.v2_root, "");
  return out;
}

// A directory the record names is used only when it is <a cgroup mount>/.../policyrun/<id>
// without any "." or ".." component: a damaged record cannot point the kill anywhere else.
bool plausible_cgroup(const std::string& dir, const std::string& id, const cgroup::Layout& layout) {
  const std::string tail = "/policyrun/" + id;
  if (dir.size() <= tail.size() || dir.compare(dir.size() - tail.size(), tail.size(), tail) != 0)
    return false;
  if (dir.find("/./") != std::string::npos || dir.find("/../") != std::string::npos ||
      dir.find("//") != std::string::npos)
    return false;
  auto under = [&](const std::string& mount) {
    return !mount.empty() && dir.compare(0, mount.size() + 1, mount + "/") == 0;
  };
  for (const auto& [ctrl, mount] : layout.v1_mounts)
    if (under(mount)) return true;
  return under(layout.v2_mount);
}

std::vector<std::string> recorded_cgroups(int fd) {
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()))) > 0;) {
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1u << 16)) break;
  }
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("cgroup ", 0) == 0) out.push_back(line.substr(7));
  return out;
}

// Empty policyrun/<id> cgroups that no record of this state root names and that are older than
// kOrphanAge (left by a crash before the record was written, or by an older policyrun). rmdir
// itself refuses a cgroup that still has processes or children.
void remove_orphan_cgroups(const std::set<std::string>& parents, int run_dir) {
  const time_t now = ::time(nullptr);
  for (const auto& parent : parents) {
    DIR* d = ::opendir(parent.c_str());
    if (!d) continue;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (!valid_id(name) || e->d_type != DT_DIR) continue;
      struct stat st;
      if (::fstatat(run_dir, (name + kSuffix).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) continue;
      std::string dir = parent + "/" + name;
      if (::lstat(dir.c_str(), &st) != 0 || now - st.st_mtime < kOrphanAge) continue;
      ::rmdir(dir.c_str());
    }
    ::closedir(d);
  }
}

// Removes one dead run whose record `fd` we hold locked.
void remove_run(int run_dir, const std::string& run_path, const std::string& id, int fd,
                const cgroup::Layout& layout, const std::set<std::string>& parents) {
  std::vector<std::string> dirs;
  for (const auto& d : recorded_cgroups(fd))
    if (plausible_cgroup(d, id, layout)) dirs.push_back(d);
  if (dirs.empty())  // died between creating its cgroups and recording them
    for (const auto& p : parents) dirs.push_back(p + "/" + id);
  for (const auto& d : dirs) {
    cgroup::kill_and_remove(d);  // what is left of the container first (no pid namespace)
    ::rmdir(d.substr(0, d.rfind('/')).c_str());  // policyrun/, when no other run uses it
  }
  // Never follows symlinks, never crosses a mount. A run whose state cannot be removed must not
  // keep the other dead runs from being collected: its failure stops here.
  try {
    runtime::remove_tree(run_path + "/" + id);
  } catch (const Error&) {
  }
  ::unlinkat(run_dir, (id + kSuffix).c_str(), 0);
}

}  // namespace

RunRecord::RunRecord(const std::string& state_root, const std::string& run_id)
    : path_(state_root + "/run/" + run_id + kSuffix) {
  const std::string run = state_root + "/run";
  UniqueFd dir(::open(run.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir.valid() && errno == ENOENT) {  // the first run under this root
    files::make_dir(state_root, 0711);
    files::make_dir(run, 0711);  // traversable by a user namespace's root, as rootfs.cpp makes it
    dir.reset(::open(run.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  }
  if (!dir.valid()) throw sys_error("open the run state directory", run);
  ::flock(dir.get(), LOCK_SH);
  fd_.reset(::openat(dir.get(), (run_id + kSuffix).c_str(),
                     O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd_.valid()) {
    if (errno == EEXIST)
      throw Error("run id '" + run_id + "' is in use by a live run (its record " + path_ +
                      " is held); choose another id",
                  EEXIST);
    throw sys_error("create the run's record", path_);
  }
  if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    auto err = sys_error("lock the run's record", path_);
    ::unlink(path_.c_str());
    throw err;
  }
}

RunRecord::~RunRecord() {
  ::unlink(path_.c_str());  // first: a collect() that locks the file later sees it unlinked
}

void RunRecord::note_cgroups(const std::vector<std::string>& dirs) {
  std::string text;
  for (const auto& d : dirs) text += "cgroup " + d + "\n";
  if (!text.empty() && ::write(fd_.get(), text.data(), text.size()) < 0)
    throw sys_error("write the run's record", path_);
}

std::vector<std::string> collect(const std::string& state_root) noexcept {
  std::vector<std::string> removed;
  try {
    const std::string run = state_root + "/run";
    UniqueFd dir(::open(run.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) return removed;
    std::vector<std::string> ids;
    {
      int dup = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 3);
      DIR* d = dup >= 0 ? ::fdopendir(dup) : nullptr;
      if (!d) {
        if (dup >= 0) ::close(dup);
        return removed;
      }
      const std::string suffix = kSuffix;
      while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.size() <= suffix.size() || n.compare(n.size() - suffix.size(), suffix.size(), suffix))
          continue;
        std::string id = n.substr(0, n.size() - suffix.size());
        if (valid_id(id)) ids.push_back(id);
      }
      ::closedir(d);
    }
    if (ids.empty()) return removed;

    std::vector<std::pair<std::string, UniqueFd>> dead;  // records we now hold
    ::flock(dir.get(), LOCK_EX);
    for (const auto& id : ids) {
      UniqueFd fd(::openat(dir.get(), (id + kSuffix).c_str(),
                           O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
      if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // live
      struct stat st;
      if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink == 0) continue;
      dead.emplace_back(id, std::move(fd));
    }
    ::flock(dir.get(), LOCK_UN);
    if (dead.empty()) return removed;

    const cgroup::Layout layout = cgroup::detect();
    const std::set<std::string> parents = policyrun_parents(layout);
    for (auto& [id, fd] : dead) {
      remove_run(dir.get(), run, id, fd.get(), layout, parents);
      removed.push_back(id);
    }
    remove_orphan_cgroups(parents, dir.get());
  } catch (...) {
  }
  return removed;
}

}  // namespace policy::launch::reaper
