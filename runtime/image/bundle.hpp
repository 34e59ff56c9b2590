// A set of named files an image is made of — a directory (OCI layout, extracted docker save) or a
// tar archive (docker save output, OCI layout tarball) — read without ever leaving it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/image/image.hpp"
#include "runtime/image/stream.hpp"

namespace policy::image {

class Bundle {
 public:
  virtual ~Bundle() = default;
  const std::string& path() const { return path_; }
  // Top-level-relative, canonical file names; symlinks inside the bundle are resolved (never out
  // of it). nullopt when missing.
  virtual std::optional<std::string> resolve(const std::string& name) const = 0;
  // Reads a whole (small) file: throws when missing or larger than `limit`.
  virtual std::string read_file(const std::string& name, size_t limit) = 0;
  // Streams each resolved name once, in the cheapest order. fn(name, data).
  virtual void stream_files(const std::vector<std::string>& names,
                            const std::function<void(const std::string&, ByteSource&)>& fn) = 0;

 protected:
  explicit Bundle(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

std::unique_ptr<Bundle> open_directory_bundle(const std::string& path);

// A tar bundle is indexed by one pass over the archive, which also yields the sha256 of the file
// as stored (the cache key when the archive turns out to be a plain rootfs tarball).
class TarBundle : public Bundle {
 public:
  // `limits`: the entry count and expansion ratio of the archive itself (limits.hpp).
  TarBundle(const std::string& path, const UnpackLimits& limits);
  std::optional<std::string> resolve(const std::string& name) const override;
  std::string read_file(const std::string& name, size_t limit) override;
  void stream_files(const std::vector<std::string>& names,
                    const std::function<void(const std::string&, ByteSource&)>& fn) override;
  const std::string& file_sha256() const { return file_sha256_; }
  size_t entry_count() const { return entries_.size(); }
  Compression compression() const { return compression_; }

 private:
  void index();  // the pass over the archive that fills entries_ and kept_
  struct Entry {
    char type = 'f';  // f file, d dir, l symlink, h hardlink, o other
    uint64_t size = 0;
    std::string link;
    int copies = 1;  // how many times the name occurs; the last one counts
  };
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> kept_;  // small metadata files read during indexing
  std::string file_sha256_;
  Compression compression_ = Compression::None;
  UnpackLimits limits_;
  TarStream::ExpansionCheck check_;
};

}  // namespace policy::image
