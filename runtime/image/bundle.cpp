#include "runtime/image/bundle.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/image/fsutil.hpp"
#include "runtime/image/limits.hpp"
#include "runtime/image/unpack.hpp"

namespace policy::image {

namespace {

// Files kept in memory from the index pass, so manifests and configs need no second pass: top-level
// JSON files up to 4 MiB and small blobs (manifests, configs, tiny layers). Layers are streamed.
constexpr uint64_t kKeepLimit = 4u << 20;
constexpr uint64_t kKeepBlobLimit = 256u << 10;
constexpr uint64_t kKeepBudget = 16u << 20;  // all of them together

bool worth_keeping(const std::string& name, uint64_t size) {
  bool top = name.find('/') == std::string::npos;
  if (top && (name == "oci-layout" || name == "repositories" ||
              (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0)))
    return size <= kKeepLimit;
  return name.rfind("blobs/sha256/", 0) == 0 && size <= kKeepBlobLimit;
}
const std::vector<Compression> kOuterCompressions = {
    Compression::None, Compression::Gzip, Compression::Zstd, Compression::Xz, Compression::Bzip2};

// Every name in an image directory is resolved inside it (openat2 RESOLVE_IN_ROOT): reading an
// image directory can never reach a file outside it.
constexpr uint64_t kInImage = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;

class DirectoryBundle : public Bundle {
 public:
  explicit DirectoryBundle(const std::string& path) : Bundle(path) {
    dir_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_.valid()) throw sys_error("open", path);
  }

  std::optional<std::string> resolve(const std::string& name) const override {
    std::string rel = normalize_entry_name(name, path_);
    UniqueFd f = runtime::openat2(dir_.get(), rel, O_PATH, kInImage);
    struct stat st;
    if (!f.valid() || ::fstat(f.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return rel;
  }

  std::string read_file(const std::string& name, size_t limit) override {
    UniqueFd f = open_regular(name);
    return runtime::read_fd(f.get(), path_ + "/" + name, limit);
  }

  void stream_files(const std::vector<std::string>& names,
                    const std::function<void(const std::string&, ByteSource&)>& fn) override {
    for (auto& n : names) {
      UniqueFd f = open_regular(n);
      FdSource src(f.get(), path_ + "/" + n);
      fn(n, src);
    }
  }

 private:
  UniqueFd open_regular(const std::string& name) {
    std::string rel = normalize_entry_name(name, path_);
    UniqueFd f = runtime::openat2(dir_.get(), rel, O_RDONLY | O_NONBLOCK, kInImage);
    if (!f.valid()) throw sys_error("open", path_ + "/" + rel);
    struct stat st;
    if (::fstat(f.get(), &st) != 0) throw sys_error("stat", path_ + "/" + rel);
    if (!S_ISREG(st.st_mode)) throw Error(path_ + "/" + rel + ": not a regular file; refusing");
    return f;
  }
  UniqueFd dir_;
};

std::string parent_of(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? "" : name.substr(0, slash);
}

// Joins a symlink target to the directory holding the link; nullopt when it leaves the archive.
std::optional<std::string> join_inside(const std::string& dir, const std::string& target) {
  if (target.empty() || target[0] == '/') return std::nullopt;
  std::vector<std::string> parts;
  for (auto& comp : runtime::split(dir.empty() ? target : dir + "/" + target, '/')) {
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
      continue;
    }
    parts.push_back(comp);
  }
  std::string out;
  for (auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

UniqueFd open_archive_file(const std::string& path) {
  UniqueFd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!f.valid()) throw sys_error("open", path);
  struct stat st;
  if (::fstat(f.get(), &st) != 0) throw sys_error("stat", path);
  if (!S_ISREG(st.st_mode)) throw Error(path + ": not a regular file or directory");
  return f;
}

}  // namespace

std::unique_ptr<Bundle> open_directory_bundle(const std::string& path) {
  return std::make_unique<DirectoryBundle>(path);
}

namespace {

// The sha256 of a file as stored, read without decompressing anything.
std::string stored_digest(const std::string& path) {
  UniqueFd f = open_archive_file(path);
  FdSource src(f.get(), path);
  Sha256 h;
  std::vector<char> buf(1u << 16);
  while (size_t n = src.read(buf.data(), buf.size())) h.update(buf.data(), n);
  return h.hex();
}

}  // namespace

TarBundle::TarBundle(const std::string& path, const UnpackLimits& limits)
    : Bundle(path), limits_(limits) {
  check_ = [this](uint64_t out, uint64_t in) { check_expansion(limits_, path_, out, in); };
  try {
    index();
  } catch (const LimitError& e) {
    // The archive's digest is known only at its end, and a bomb never gets there: hash the
    // stored bytes (cheap: nothing is decompressed) so that the refusal names what it refused.
    std::string msg = e.what();
    if (msg.rfind(path + ": ", 0) == 0)
      msg = path + " (" + short_digest(stored_digest(path)) + ")" + msg.substr(path.size());
    throw LimitError(msg);
  }
}

void TarBundle::index() {
  const std::string& path = path_;
  UniqueFd f = open_archive_file(path);
  FdSource src(f.get(), path);
  TarStream ts(src, kOuterCompressions, path, check_);
  compression_ = ts.compression();
  uint64_t kept_total = 0, count = 0;
  while (archive_entry* e = ts.next()) {
    if (++count > limits_.max_entries)
      throw LimitError(path + ": more than " + std::to_string(limits_.max_entries) +
                       " entries in the archive; refusing the image (limit entries=" +
                       limit_text(limits_.max_entries, false) +
                       "; if you trust the image, raise it with --image-limit entries=N)");
    const char* p = archive_entry_pathname(e);
    if (!p) throw Error(path + ": an entry name cannot be decoded");
    std::string name = normalize_entry_name(p, path);
    Entry ent;
    const char* hl = archive_entry_hardlink(e);
    auto type = archive_entry_filetype(e);
    if (hl) {
      // A hardlink leaving the archive is never resolvable; as a rootfs tarball the unpacker
      // refuses it with the entry's name.
      ent.type = 'o';
      if (auto link = clean_entry_name(hl)) {
        ent.link = *link;
        ent.type = 'h';
      }
    } else if (type == AE_IFREG) {
      ent.type = 'f';
    } else if (type == AE_IFDIR) {
      ent.type = 'd';
    } else if (type == AE_IFLNK) {
      ent.type = 'l';
      ent.link = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
    } else {
      ent.type = 'o';
    }
    ent.size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
    if (ent.type == 'f' && worth_keeping(name, ent.size) && kept_total + ent.size <= kKeepBudget) {
      ArchiveDataSource data(ts, path + ": " + name);
      std::string content;
      char buf[65536];
      for (;;) {
        size_t n = data.read(buf, sizeof buf);
        if (n == 0) break;
        content.append(buf, n);
        if (content.size() > kKeepLimit) throw Error(path + ": " + name + ": larger than declared");
      }
      kept_total += content.size();
      kept_[name] = std::move(content);
    } else {
      kept_.erase(name);
    }
    ent.copies = entries_.count(name) ? entries_[name].copies + 1 : 1;
    entries_[name] = ent;
  }
  ts.finish();
  file_sha256_ = ts.compressed_sha256();
}

std::optional<std::string> TarBundle::resolve(const std::string& name) const {
  std::string cur = normalize_entry_name(name, path_);
  for (int hops = 0; hops < 40; ++hops) {
    auto it = entries_.find(cur);
    if (it == entries_.end()) return std::nullopt;
    const Entry& e = it->second;
    if (e.type == 'f') return cur;
    if (e.type == 'h') {
      cur = e.link;
      continue;
    }
    if (e.type != 'l') return std::nullopt;
    auto next = join_inside(parent_of(cur), e.link);
    if (!next) return std::nullopt;
    cur = *next;
  }
  return std::nullopt;
}

std::string TarBundle::read_file(const std::string& name, size_t limit) {
  auto r = resolve(name);
  if (!r) throw Error(path_ + ": '" + name + "' is not in the archive");
  if (auto it = kept_.find(*r); it != kept_.end()) {
    if (it->second.size() > limit)
      throw Error(path_ + ": " + *r + ": larger than " + std::to_string(limit) +
                  " bytes; refusing");
    return it->second;
  }
  if (entries_.at(*r).size > limit)
    throw Error(path_ + ": " + *r + ": larger than " + std::to_string(limit) + " bytes; refusing");
  std::string out;
  stream_files({*r}, [&](const std::string& n, ByteSource& src) {
    out.clear();
    char buf[65536];
    for (;;) {
      size_t got = src.read(buf, sizeof buf);
      if (got == 0) break;
      out.append(buf, got);
      if (out.size() > limit)
        throw Error(path_ + ": " + n + ": larger than " + std::to_string(limit) + " bytes");
    }
  });
  return out;
}

void TarBundle::stream_files(const std::vector<std::string>& names,
                             const std::function<void(const std::string&, ByteSource&)>& fn) {
  std::set<std::string> wanted(names.begin(), names.end());
  // A name stored twice: the last copy is the one tar extraction would leave, and the index.
  std::map<std::string, int> seen;
  UniqueFd f = open_archive_file(path_);
  FdSource src(f.get(), path_);
  TarStream ts(src, kOuterCompressions, path_, check_);
  std::set<std::string> delivered;
  while (delivered.size() < wanted.size()) {
    archive_entry* e = ts.next();
    if (!e) break;
    const char* p = archive_entry_pathname(e);
    std::string n = normalize_entry_name(p ? p : "", path_);
    if (!wanted.count(n) || ++seen[n] != entries_.at(n).copies || archive_entry_hardlink(e))
      continue;
    ArchiveDataSource data(ts, path_ + ": " + n);
    fn(n, data);
    delivered.insert(n);
  }
  for (auto& n : wanted)
    if (!delivered.count(n)) throw Error(path_ + ": '" + n + "' is not in the archive");
}

}  // namespace policy::image
