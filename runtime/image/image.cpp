// prepare_image: what kind of image a path holds (by content, never by file name), and the
// recipe from it to cached, read-only layer directories.
#include "runtime/image/image.hpp"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "compiler/common/error.hpp"
#include "compiler/common/fnv.hpp"
#include "runtime/common/text.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/image/formats.hpp"
#include "runtime/image/fsutil.hpp"
#include "runtime/image/unpack.hpp"

namespace policy::image {

namespace {

struct Ref {
  std::string path;
  std::optional<std::string> tag;
};

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

// "PATH" or "PATH:TAG"; a path that exists as written wins, else the longest existing prefix
// before a ':' is the path.
Ref split_ref(const std::string& ref) {
  if (ref.empty()) throw Error("empty image reference; give a path to an image");
  if (exists(ref)) return {ref, std::nullopt};
  for (size_t colon = ref.rfind(':'); colon != std::string::npos && colon > 0;
       colon = ref.rfind(':', colon - 1)) {
    std::string p = ref.substr(0, colon);
    if (exists(p)) {
      std::string tag = ref.substr(colon + 1);
      if (tag.empty()) throw Error(ref + ": empty TAG after ':'");
      return {p, tag};
    }
    if (colon == 0) break;
  }
  throw sys_error("image not found", ref);
}

// Keeps the highest occurrence of a layer used twice: overlayfs refuses a lowerdir given twice,
// and the upper copy re-supplies everything the lower one had.
std::vector<std::string> dedupe_layers(const std::vector<std::string>& dirs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it)
    if (seen.insert(*it).second) out.insert(out.begin(), *it);
  return out;
}

// An image without layers still gets one (empty) lower directory, so the launch always has a
// root to stack on. It is the same cache entry as an empty rootfs tarball (the empty blob).
std::vector<std::string> at_least_one_layer(std::vector<std::string> dirs, LayerCache& cache) {
  if (!dirs.empty()) return dirs;
  std::string empty_hex = sha256_hex("");
  if (auto hit = cache.lookup(empty_hex)) return {*hit};
  return {cache.store([&](int) { return StoredLayer{empty_hex, empty_hex}; })};
}

// A docker save archive or an OCI layout: resolve, verify, unpack what is not cached.
PreparedImage from_bundle(Bundle& bundle, bool docker, const std::optional<std::string>& tag,
                          LayerCache& cache) {
  PreparedImage out;
  ResolvedImage r = docker ? resolve_docker_archive(bundle, tag) : resolve_oci_layout(bundle, tag);
  out.kind = docker ? ImageKind::DockerArchive : ImageKind::OciLayout;
  out.layer_dirs = at_least_one_layer(
      dedupe_layers(materialize_layers(bundle, r.layers, cache, out.warnings)), cache);
  out.config = std::move(r.config);
  out.description = std::move(r.description);
  return out;
}

PreparedImage prepare_rootfs_tarball(const std::string& path, const std::string& file_hex,
                                     LayerCache& cache) {
  PreparedImage out;
  out.kind = ImageKind::RootfsTarball;
  std::string dir;
  if (auto hit = cache.lookup(file_hex); hit && cache.diff_id(file_hex)) {
    dir = *hit;
  } else {
    std::string ctx = path;
    dir = cache.store([&](int fd) {
      UniqueFd f(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
      if (!f.valid()) throw sys_error("open", path);
      FdSource src(f.get(), path);
      UnpackBudget& budget = cache.budget();
      budget.begin_layer(path + ": layer " + short_digest(file_hex));
      TarStream ts(src,
                   {Compression::None, Compression::Gzip, Compression::Zstd, Compression::Xz,
                    Compression::Bzip2},
                   ctx, [&](uint64_t out, uint64_t in) { budget.expansion(out, in); });
      unpack_layer(ts, fd, ctx, out.warnings, budget);
      ts.finish();
      if (ts.compressed_sha256() != file_hex)
        throw Error(path + ": the file changed while it was being read; try again");
      return StoredLayer{file_hex, ts.uncompressed_sha256()};
    });
  }
  out.layer_dirs = {dir};
  out.description = "rootfs tarball " + path + " (sha256:" + file_hex + ")";
  return out;
}

// What an image resolved to, remembered under <root>/images/ by the identity of the file it was
// read from (path, tag, device, inode, size, mtime and ctime — ctime cannot be set back by anyone
// who rewrites the file): a tarball, or the top file of an image directory (an OCI layout's
// index.json, a docker-save directory's manifest.json), which every change of its images
// rewrites. A cached launch then neither reads a whole archive again nor hashes anything.
// The record is named by an FNV-1a of that identity and holds it in full: it is used only when
// equal, so a collision is a miss.
struct RecordKey {
  std::string name;  // "<16 hex>.json", empty when the path cannot be resolved
  std::string id;    // stored in hex: a path need not be UTF-8, and JSON strings must be
};

RecordKey record_key(const std::string& path, const std::optional<std::string>& tag,
                     const struct stat& st, const char* top_file) {
  char real[PATH_MAX];
  if (!::realpath(path.c_str(), real)) return {};
  std::string id = std::string("v2\0", 3) + real + '\0' + top_file + '\0' +
                   (tag ? "1" + *tag : "0") + '\0' + std::to_string(st.st_dev) + ':' +
                   std::to_string(st.st_ino) + ':' + std::to_string(st.st_size) + ':' +
                   std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) +
                   ':' + std::to_string(st.st_ctim.tv_sec) + '.' +
                   std::to_string(st.st_ctim.tv_nsec);
  return {fnv1a_hex(id) + ".json", id};
}

std::optional<PreparedImage> recall(LayerCache& cache, const RecordKey& key) {
  if (key.name.empty()) return std::nullopt;
  auto text = cache.read_record(key.name);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  try {
    if (j.at("id").get<std::string>() != runtime::hex_bytes(key.id))
      return std::nullopt;  // another file's
    PreparedImage out;
    out.kind = static_cast<ImageKind>(j.at("kind").get<int>());
    for (const auto& hex : j.at("layers")) {
      auto dir = cache.lookup(hex.get<std::string>());
      if (!dir) return std::nullopt;  // the layer was removed from the cache: prepare again
      out.layer_dirs.push_back(*dir);
    }
    const auto& c = j.at("config");
    out.config.env = c.at("env").get<std::vector<std::string>>();
    out.config.entrypoint = c.at("entrypoint").get<std::vector<std::string>>();
    out.config.cmd = c.at("cmd").get<std::vector<std::string>>();
    out.config.working_dir = c.at("working_dir").get<std::string>();
    out.config.user = c.at("user").get<std::string>();
    out.description = j.at("description").get<std::string>();
    out.warnings = j.at("warnings").get<std::vector<std::string>>();
    if (out.layer_dirs.empty()) return std::nullopt;
    return out;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // unreadable record: prepare again
  }
}

void remember(LayerCache& cache, const RecordKey& key, const PreparedImage& img) {
  if (key.name.empty()) return;
  nlohmann::json layers = nlohmann::json::array();
  for (auto& d : img.layer_dirs) layers.push_back(d.substr(d.rfind('/') + 1));
  nlohmann::json j = {{"id", runtime::hex_bytes(key.id)},
                      {"kind", static_cast<int>(img.kind)},
                      {"layers", layers},
                      {"config",
                       {{"env", img.config.env},
                        {"entrypoint", img.config.entrypoint},
                        {"cmd", img.config.cmd},
                        {"working_dir", img.config.working_dir},
                        {"user", img.config.user}}},
                      {"description", img.description},
                      {"warnings", img.warnings}};
  // The description and warnings name the image's path, which need not be UTF-8: such bytes are
  // shown as U+FFFD rather than failing the launch.
  cache.write_record(key.name, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Prepares with `prepare` unless a record of `file` (the tarball, or the image directory's top
// file) answers; remembers the result only when `file` did not change while it was read.
template <typename Prepare>
PreparedImage prepare_remembered(LayerCache& cache, const Ref& ref, const std::string& file,
                                 const char* top_file, Prepare&& prepare) {
  struct stat before;
  RecordKey key;
  if (::stat(file.c_str(), &before) == 0) key = record_key(ref.path, ref.tag, before, top_file);
  if (auto known = recall(cache, key)) return *known;
  PreparedImage out = prepare();
  struct stat after;
  if (!key.name.empty() && ::stat(file.c_str(), &after) == 0 &&
      record_key(ref.path, ref.tag, after, top_file).id == key.id)
    remember(cache, key, out);
  return out;
}

PreparedImage prepare_tarball(const Ref& ref, LayerCache& cache);

// overlayfs splits its mount options at ',', its lower directories at ':', and reads '\\' as an
// escape: a path holding one would name another directory, or none.
constexpr const char* kOverlayUnsafe = ",:\\";

void check_cache_root(const std::string& root) {
  size_t bad = root.find_first_of(kOverlayUnsafe);
  if (bad == std::string::npos) return;
  throw Error("--root '" + root + "': contains '" + root[bad] +
              "', which overlayfs mount options cannot express (the cached layers and the runs' "
              "directories below it are named in them); choose a cache root without ',', ':' "
              "or '\\'");
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// `path` made absolute and canonical; a path that does not exist yet is resolved through its
// nearest existing ancestor. Empty when nothing of it resolves.
std::string canonical_or_planned(const std::string& path) {
  std::string p = path;
  if (p.empty() || p[0] != '/') {
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return {};
    p = std::string(cwd) + "/" + p;
  }
  std::string rest;
  for (;;) {
    char real[PATH_MAX];
    if (::realpath(p.c_str(), real)) {
      std::string r = real;
      return rest.empty() ? r : (r == "/" ? "" : r) + rest;
    }
    if (errno != ENOENT && errno != ENOTDIR) return {};
    size_t slash = p.find_last_of('/');
    if (slash == std::string::npos || p == "/") return {};
    rest = p.substr(slash) + rest;
    p = slash == 0 ? "/" : p.substr(0, slash);
  }
}

// True when the directory `dir` is `path` itself or one of its ancestors (device and inode
// compared at each level, so a bind mount or a second name of `dir` is found too).
bool is_at_or_above(const struct stat& dir, const std::string& path) {
  std::string p = path;
  for (;;) {
    struct stat st;
    if (::stat(p.c_str(), &st) == 0 && same_file(st, dir)) return true;
    if (p == "/" || p.empty()) return false;
    size_t slash = p.find_last_of('/');
    p = slash == 0 ? "/" : p.substr(0, slash);
  }
}

// A rootfs directory becomes the container's root (overlayfs lowerdir, or bound read-only).
void check_rootfs_directory(const std::string& path, const std::string& real, const struct stat& st,
                            const std::string& cache_root) {
  struct stat host_root;
  if (::stat("/", &host_root) == 0 && same_file(st, host_root))
    throw Error(path +
                ": is the host's root directory; refusing to run it as an image (it "
                "would give the container the whole host, the image cache included)");
  size_t bad = real.find_first_of(kOverlayUnsafe);
  if (bad != std::string::npos)
    throw Error(path + ": the rootfs directory's path '" + real + "' contains '" + real[bad] +
                "', which overlayfs mount options cannot express; rename or move it, or give "
                "it as a tarball (tar -C DIR -c . > rootfs.tar)");
  std::string cache = canonical_or_planned(cache_root);
  if (!cache.empty() && is_at_or_above(st, cache))
    throw Error(path + ": the rootfs directory contains the image cache and run state (--root " +
                cache_root + "); refusing it (the container would see the cache and its own " +
                "run directory); choose a --root outside the image");
  struct stat cache_st;
  if (!cache.empty() && ::stat(cache.c_str(), &cache_st) == 0 && is_at_or_above(cache_st, real))
    throw Error(path + ": the rootfs directory lies inside the image cache and run state (--root " +
                cache_root + "); refusing it; copy the image out of the cache, or choose another " +
                "--root");
}

}  // namespace

void check_image_ref(const std::string& image_ref, const CacheOptions& options) {
  check_cache_root(options.root);
  Ref ref = split_ref(image_ref);
  struct stat st;
  if (::stat(ref.path.c_str(), &st) != 0) throw sys_error("stat", ref.path);
  if (!S_ISDIR(st.st_mode)) return;
  auto bundle = open_directory_bundle(ref.path);
  if (is_docker_archive(*bundle) || is_oci_layout(*bundle)) return;
  char real[PATH_MAX];
  if (!::realpath(ref.path.c_str(), real)) throw sys_error("realpath", ref.path);
  check_rootfs_directory(ref.path, real, st, options.root);
}

PreparedImage prepare_image(const std::string& image_ref, const CacheOptions& options) {
  check_cache_root(options.root);
  Ref ref = split_ref(image_ref);
  struct stat st;
  if (::stat(ref.path.c_str(), &st) != 0) throw sys_error("stat", ref.path);
  auto no_tag = [&](const char* kind) {
    if (ref.tag)
      throw Error(ref.path + ": is a " + std::string(kind) +
                  " holding a single image; drop ':" + *ref.tag + "'");
  };

  if (S_ISDIR(st.st_mode)) {
    auto bundle = open_directory_bundle(ref.path);
    bool docker = is_docker_archive(*bundle);
    if (!docker && !is_oci_layout(*bundle)) {
      no_tag("rootfs directory");
      gc_tmp(options);  // layers half unpacked by a launch that was killed, as for archives
      char real[PATH_MAX];
      if (!::realpath(ref.path.c_str(), real)) throw sys_error("realpath", ref.path);
      check_rootfs_directory(ref.path, real, st, options.root);
      // Layers half-unpacked by runs that died are removed by any launch, this one included.
      gc_tmp(options);
      PreparedImage out;
      out.kind = ImageKind::RootfsDirectory;
      out.layer_dirs = {real};
      out.description = std::string("rootfs directory ") + real + " (used as is, read-only)";
      return out;
    }
    LayerCache cache(options);
    gc_tmp(options);
    const char* top = docker ? "manifest.json" : "index.json";
    return prepare_remembered(cache, ref, ref.path + "/" + top, top,
                              [&] { return from_bundle(*bundle, docker, ref.tag, cache); });
  }
  if (!S_ISREG(st.st_mode)) throw Error(ref.path + ": not a directory or a regular file");

  LayerCache cache(options);
  gc_tmp(options);
  return prepare_remembered(cache, ref, ref.path, "", [&] { return prepare_tarball(ref, cache); });
}

namespace {

PreparedImage prepare_tarball(const Ref& ref, LayerCache& cache) {
  TarBundle bundle(ref.path, cache.limits());
  bool docker = is_docker_archive(bundle);
  if (docker || is_oci_layout(bundle)) return from_bundle(bundle, docker, ref.tag, cache);
  if (ref.tag)
    throw Error(ref.path + ": is a rootfs tarball holding a single image; drop ':" + *ref.tag +
                "'");
  return prepare_rootfs_tarball(ref.path, bundle.file_sha256(), cache);
}

}  // namespace

}  // namespace policy::image
