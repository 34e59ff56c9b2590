// Helpers for the image tests: temp dirs, running the real tools (umoci, skopeo, tar), crafting
// tar archives byte by byte with libarchive's writer, and hand-built OCI layouts.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/image/digest.hpp"
#include "runtime/image/image.hpp"

namespace imgtest {

namespace fs = std::filesystem;
using nlohmann::json;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "image-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs a shell command; returns its exit status and fills `output` with stdout+stderr.
inline int run(const std::string& cmd, std::string* output = nullptr) {
  std::string full = "(" + cmd + ") 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

inline void must_run(const std::string& cmd) {
  std::string out;
  int rc = run(cmd, &out);
  if (rc != 0)
    throw std::runtime_error("command failed (" + std::to_string(rc) + "): " + cmd + "\n" + out);
}

// A tool the tests depend on: its absence is a failure, never a silent pass.
inline void require_tool(const std::string& tool) {
  if (run("command -v " + tool) != 0)
    throw std::runtime_error(tool + " is not installed; tools/install-deps installs it");
}

inline std::string read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& p, const std::string& data) {
  fs::create_directories(fs::path(p).parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << data;
}

inline bool dir_is_empty(const std::string& p) {
  return !fs::exists(p) || fs::is_empty(p);
}

// Crafts tar archives entry by entry, hostile ones included: libarchive's writer stores names
// exactly as given.
class TarWriter {
 public:
  explicit TarWriter(const std::string& path, const std::string& filter = "") {
    a_ = archive_write_new();
    archive_write_set_format_pax_restricted(a_);
    if (filter == "gzip") archive_write_add_filter_gzip(a_);
    if (filter == "zstd") archive_write_add_filter_zstd(a_);
    if (archive_write_open_filename(a_, path.c_str()) != ARCHIVE_OK)
      throw std::runtime_error("archive_write_open_filename failed");
  }
  ~TarWriter() { close(); }

  void file(const std::string& name, const std::string& content, int mode = 0644, int uid = 0,
            int gid = 0, const std::map<std::string, std::string>& xattrs = {}) {
    archive_entry* e = base(name, AE_IFREG, mode, uid, gid);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    for (auto& [k, v] : xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    write(e, content);
  }
  // A file of `size` zero bytes, written in 1 MiB pieces: a bomb's payload never exists
  // uncompressed in memory or on disk.
  void zeros(const std::string& name, uint64_t size) {
    archive_entry* e = base(name, AE_IFREG, 0644, 0, 0);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    if (archive_write_header(a_, e) != ARCHIVE_OK)
      throw std::runtime_error(std::string("archive_write_header: ") + archive_error_string(a_));
    archive_entry_free(e);
    const std::string chunk(1u << 20, '\0');
    for (uint64_t left = size; left > 0;) {
      size_t n = left < chunk.size() ? static_cast<size_t>(left) : chunk.size();
      if (archive_write_data(a_, chunk.data(), n) != static_cast<la_ssize_t>(n))
        throw std::runtime_error(std::string("archive_write_data: ") + archive_error_string(a_));
      left -= n;
    }
  }
  void dir(const std::string& name, int mode = 0755, int uid = 0, int gid = 0) {
    write(base(name, AE_IFDIR, mode, uid, gid), "");
  }
  void symlink(const std::string& name, const std::string& target) {
    archive_entry* e = base(name, AE_IFLNK, 0777, 0, 0);
    archive_entry_set_symlink(e, target.c_str());
    write(e, "");
  }
  void hardlink(const std::string& name, const std::string& target) {
    archive_entry* e = base(name, AE_IFREG, 0644, 0, 0);
    archive_entry_set_hardlink(e, target.c_str());
    archive_entry_set_size(e, 0);
    write(e, "");
  }
  void chardev(const std::string& name, int major, int minor) {
    archive_entry* e = base(name, AE_IFCHR, 0666, 0, 0);
    archive_entry_set_rdevmajor(e, major);
    archive_entry_set_rdevminor(e, minor);
    write(e, "");
  }
  void close() {
    if (a_) {
      archive_write_close(a_);
      archive_write_free(a_);
      a_ = nullptr;
    }
  }

 private:
  archive_entry* base(const std::string& name, int type, int mode, int uid, int gid) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, mode);
    archive_entry_set_uid(e, uid);
    archive_entry_set_gid(e, gid);
    archive_entry_set_mtime(e, 1700000000, 0);
    return e;
  }
  void write(archive_entry* e, const std::string& content) {
    if (archive_write_header(a_, e) != ARCHIVE_OK)
      throw std::runtime_error(std::string("archive_write_header: ") + archive_error_string(a_));
    if (!content.empty()) archive_write_data(a_, content.data(), content.size());
    archive_entry_free(e);
  }
  archive* a_ = nullptr;
};

inline std::string sha256_of_file(const std::string& p) {
  return policy::image::sha256_hex(read_file(p));
}

// Builds an OCI image layout by hand (for shapes the tools do not make: multi-platform
// indexes, zstd, wrong media types). Blobs are written as given.
class OciBuilder {
 public:
  explicit OciBuilder(std::string dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_ + "/blobs/sha256");
    write_file(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  }
  // Stores a blob; returns its descriptor.
  json blob(const std::string& data, const std::string& media_type) {
    std::string hex = policy::image::sha256_hex(data);
    write_file(dir_ + "/blobs/sha256/" + hex, data);
    return {{"mediaType", media_type}, {"digest", "sha256:" + hex}, {"size", data.size()}};
  }
  json layer_file(const std::string& path, const std::string& media_type) {
    return blob(read_file(path), media_type);
  }
  // An image manifest over `layers` with a config holding env/cmd and the given diff_ids.
  json manifest(const std::vector<json>& layers, const std::vector<std::string>& diff_ids,
                const json& config_extra = json::object()) {
    json cfg = {{"architecture", "amd64"},
                {"os", "linux"},
                {"config", config_extra},
                {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
    json cdesc = blob(cfg.dump(), "application/vnd.oci.image.config.v1+json");
    json m = {{"schemaVersion", 2},
              {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
              {"config", cdesc},
              {"layers", layers}};
    return blob(m.dump(), "application/vnd.oci.image.manifest.v1+json");
  }
  json index_blob(const std::vector<json>& manifests) {
    json idx = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", manifests}};
    return blob(idx.dump(), "application/vnd.oci.image.index.v1+json");
  }
  void index(const std::vector<json>& manifests) {
    json idx = {{"schemaVersion", 2}, {"manifests", manifests}};
    write_file(dir_ + "/index.json", idx.dump());
  }
  static json tagged(json desc, const std::string& tag) {
    desc["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
    return desc;
  }
  static json platform(json desc, const std::string& os, const std::string& arch) {
    desc["platform"] = {{"os", os}, {"architecture", arch}};
    return desc;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// The diff_id of a tar file (sha256 of the uncompressed bytes).
inline std::string diff_id_of(const std::string& tar_path) {
  return "sha256:" + sha256_of_file(tar_path);
}

inline std::string hex_of(const json& desc) {
  return desc["digest"].get<std::string>().substr(7);
}

// Asserts the call throws policy::Error whose message contains every part.
#define EXPECT_IMAGE_ERROR(stmt, ...)                                      \
  do {                                                                     \
    std::string _msg;                                                      \
    try {                                                                  \
      stmt;                                                                \
      ADD_FAILURE() << "expected an error from: " #stmt;                   \
    } catch (const std::exception& _e) {                                   \
      _msg = _e.what();                                                    \
    }                                                                      \
    for (const std::string& _part : std::vector<std::string>{__VA_ARGS__}) \
      EXPECT_NE(_msg.find(_part), std::string::npos)                       \
          << "message lacks '" << _part << "': " << _msg;                  \
  } while (0)

}  // namespace imgtest
