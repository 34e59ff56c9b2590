#include "runtime/image/cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "compiler/common/error.hpp"
#include "runtime/image/digest.hpp"

namespace policy::image {

namespace {

// Lock protocol for <root>/tmp: a writer holds a shared flock on tmp/ while it creates its
// entry and takes an exclusive flock on that entry; gc_tmp holds an exclusive flock on tmp/ while
// it scans, so an entry it can lock belongs to a run that is gone.
class TmpCreateLock {
 public:
  explicit TmpCreateLock(int tmp_fd) : fd_(tmp_fd) { ::flock(fd_, LOCK_SH); }
  ~TmpCreateLock() { ::flock(fd_, LOCK_UN); }
  TmpCreateLock(const TmpCreateLock&) = delete;
  TmpCreateLock& operator=(const TmpCreateLock&) = delete;

 private:
  int fd_;
};

std::string clean_root(const std::string& root) {
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  return r;
}

std::string read_small_at(int dirfd, const std::string& name) {
  UniqueFd f(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!f.valid()) return {};
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(f.get(), buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1u << 20)) return {};
  }
  return out;
}

}  // namespace

LayerCache::LayerCache(const CacheOptions& options) : root_(clean_root(options.root)) {
  UniqueFd root = make_dirs(root_, 0700);
  struct stat st;
  if (::fstat(root.get(), &st) != 0) throw sys_error("stat", root_);
  if (st.st_uid != ::geteuid())
    throw Error(root_ + ": the image cache belongs to uid " + std::to_string(st.st_uid) +
                ", not to us; refusing to use it (remove it or choose another cache root)");
  if ((st.st_mode & 077) != 0 && ::fchmod(root.get(), 0700) != 0)
    throw sys_error("chmod 0700", root_);
  layers_ = make_dirs(root_ + "/layers/sha256", 0700);
  meta_ = make_dirs(root_ + "/meta/sha256", 0700);
  tmp_ = make_dirs(root_ + "/tmp", 0700);
  images_ = make_dirs(root_ + "/images", 0700);
  UniqueFd layers_top = make_dirs(root_ + "/layers", 0700);
  ::fchmod(layers_top.get(), 0700);
  budget_ = std::make_unique<UnpackBudget>(options.limits, tmp_.get(), root_);
}

std::string LayerCache::layer_path(const std::string& hex) const {
  return root_ + "/layers/sha256/" + hex;
}

std::optional<std::string> LayerCache::lookup(const std::string& hex) const {
  if (!is_sha256_hex(hex)) return std::nullopt;
  struct stat st;
  if (::fstatat(layers_.get(), hex.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
    return std::nullopt;
  return layer_path(hex);
}

std::optional<std::string> LayerCache::diff_id(const std::string& hex) const {
  if (!is_sha256_hex(hex)) return std::nullopt;
  std::string text = read_small_at(meta_.get(), hex + ".json");
  if (text.empty()) return std::nullopt;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("diff_id") || !j["diff_id"].is_string())
    return std::nullopt;
  std::string d = j["diff_id"].get<std::string>();
  if (!is_sha256_hex(d)) return std::nullopt;
  return d;
}

void LayerCache::write_meta(const StoredLayer& layer) {
  nlohmann::json j = {{"digest", "sha256:" + layer.digest_hex}, {"diff_id", layer.diff_id_hex}};
  write_atomic(meta_.get(), root_ + "/meta/sha256", layer.digest_hex + ".json", j.dump() + "\n");
}

std::optional<std::string> LayerCache::read_record(const std::string& name) const {
  std::string text = read_small_at(images_.get(), name);
  if (text.empty()) return std::nullopt;
  return text;
}

void LayerCache::write_record(const std::string& name, const std::string& text) {
  write_atomic(images_.get(), root_ + "/images", name, text);
}

// Written in tmp/ and renamed into place: readers see the old record or the new one, whole.
void LayerCache::write_atomic(int dir_fd, const std::string& dir_display, const std::string& name,
                              const std::string& text) {
  std::string tmpname = "file-" + runtime::random_hex(8);
  UniqueFd f;
  {
    TmpCreateLock creating(tmp_.get());
    f = UniqueFd(::openat(tmp_.get(), tmpname.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!f.valid()) throw sys_error("create", root_ + "/tmp/" + tmpname);
    ::flock(f.get(), LOCK_EX);
  }
  if (::write(f.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(f.get()) != 0) {
    auto err = sys_error("write", root_ + "/tmp/" + tmpname);
    ::unlinkat(tmp_.get(), tmpname.c_str(), 0);
    throw err;
  }
  if (::renameat(tmp_.get(), tmpname.c_str(), dir_fd, name.c_str()) != 0) {
    auto err = sys_error("rename into", dir_display + "/" + name);
    ::unlinkat(tmp_.get(), tmpname.c_str(), 0);
    throw err;
  }
}

std::string LayerCache::store(const std::function<StoredLayer(int dir_fd)>& unpack) {
  std::string name = "layer-" + runtime::random_hex(8);
  std::string display = root_ + "/tmp/" + name;
  UniqueFd dir;
  {
    TmpCreateLock creating(tmp_.get());
    if (::mkdirat(tmp_.get(), name.c_str(), 0700) != 0) throw sys_error("mkdir", display);
    dir = UniqueFd(
        ::openat(tmp_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) {
      auto err = sys_error("open", display);
      ::unlinkat(tmp_.get(), name.c_str(), AT_REMOVEDIR);
      throw err;
    }
    // Held until we are done: gc_tmp never removes a directory a live writer holds.
    ::flock(dir.get(), LOCK_EX);
  }
  try {
    // The layer dir becomes the container's "/" unless the layer says otherwise ("./" entry);
    // the cache is protected by its 0700 parents.
    if (::fchmod(dir.get(), 0755) != 0) throw sys_error("chmod", display);
    StoredLayer layer = unpack(dir.get());
    if (!is_sha256_hex(layer.digest_hex)) throw Error("internal: bad layer key");
    write_meta(layer);
    if (::renameat2(tmp_.get(), name.c_str(), layers_.get(), layer.digest_hex.c_str(),
                    RENAME_NOREPLACE) != 0) {
      if (errno != EEXIST && errno != ENOTEMPTY)
        throw sys_error("rename into", layer_path(layer.digest_hex));
      // Another run stored the same layer first: use theirs.
      runtime::remove_tree_at(tmp_.get(), name, display);
    }
    return layer_path(layer.digest_hex);
  } catch (...) {
    try {
      runtime::remove_tree_at(tmp_.get(), name, display);
    } catch (...) {
      // The store's own failure is the one to report; gc_tmp removes what is left.
    }
    throw;
  }
}

void gc_tmp(const CacheOptions& options) {
  std::string root = clean_root(options.root);
  std::string tmp_path = root + "/tmp";
  UniqueFd tmp(::open(tmp_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!tmp.valid()) {
    if (errno == ENOENT) return;
    throw sys_error("open", tmp_path);
  }
  int dup_fd = ::dup(tmp.get());
  DIR* d = dup_fd >= 0 ? ::fdopendir(dup_fd) : nullptr;
  if (!d) {
    if (dup_fd >= 0) ::close(dup_fd);
    throw sys_error("opendir", tmp_path);
  }
  if (::flock(tmp.get(), LOCK_EX) != 0) throw sys_error("flock", tmp_path);
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  for (auto& n : names) {
    struct stat st;
    if (::fstatat(tmp.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    int flags = S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY;
    UniqueFd f(::openat(tmp.get(), n.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (f.valid() && ::flock(f.get(), LOCK_EX | LOCK_NB) != 0) continue;  // a live writer holds it
    runtime::remove_tree_at(tmp.get(), n, tmp_path + "/" + n);
  }
}

}  // namespace policy::image
