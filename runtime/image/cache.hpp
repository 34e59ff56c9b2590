// The layer cache: <root>/layers/sha256/<digest>/ holds one unpacked layer, <root>/meta/sha256/
// <digest>.json what we learnt while unpacking it (its diff_id), <root>/tmp/ the layers being
// written. A layer is unpacked into tmp/<random>/ and renamed into layers/ only when complete,
// so a half-unpacked layer is never visible; racing writers of one digest both succeed.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "runtime/image/fsutil.hpp"
#include "runtime/image/image.hpp"
#include "runtime/image/limits.hpp"

namespace policy::image {

struct StoredLayer {
  std::string digest_hex;   // the cache key (blob digest)
  std::string diff_id_hex;  // sha256 of the uncompressed tar
};

class LayerCache {
 public:
  explicit LayerCache(const CacheOptions& options);  // creates the directories, mode 0700

  // What the image being prepared may still unpack (one LayerCache serves one prepare_image).
  UnpackBudget& budget() { return *budget_; }
  const UnpackLimits& limits() const { return budget_->limits(); }

  // The cached directory for a blob digest, if complete, and its recorded diff_id.
  std::optional<std::string> lookup(const std::string& hex) const;
  std::optional<std::string> diff_id(const std::string& hex) const;

  // Runs `unpack` on a fresh empty directory (an fd) and moves the result to layers/sha256/<key>
  // where key is what `unpack` returns. On any exception the directory is removed and the
  // exception propagates. If another run stored the same key meanwhile, theirs is kept.
  std::string store(const std::function<StoredLayer(int dir_fd)>& unpack);

  std::string layer_path(const std::string& hex) const;

  // Small records under <root>/images/ (what a tarball image resolved to, see image.cpp).
  std::optional<std::string> read_record(const std::string& name) const;
  void write_record(const std::string& name, const std::string& text);
  const std::string& root() const { return root_; }

 private:
  void write_meta(const StoredLayer& layer);
  void write_atomic(int dir_fd, const std::string& dir_display, const std::string& name,
                    const std::string& text);
  std::string root_;
  UniqueFd layers_, meta_, tmp_, images_;
  std::unique_ptr<UnpackBudget> budget_;
};

}  // namespace policy::image
