// Internal: enforcing UnpackLimits (image.hpp) while an image's streams are read and its layers
// written. Every refusal names the image, the layer, the limit and the --image-limit key that
// raises it.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/common/error.hpp"
#include "runtime/image/image.hpp"

namespace policy::image {

// A limit was reached. The unpacker lets it through without its per-entry wrapping.
class LimitError : public Error {
 public:
  using Error::Error;
};

// A value as --image-limit accepts it back ("64M", "1000", "unlimited").
std::string limit_text(uint64_t value, bool size);

// Refuses a stream that decompressed `out` bytes from `in` stored bytes when it has passed the
// ratio floor and expands more than the ratio allows. `where` names the image (and layer).
void check_expansion(const UnpackLimits& limits, const std::string& where, uint64_t out,
                     uint64_t in);

// The budget of one image: entries and bytes over all the layers unpacked for it, and the free
// space of the cache's file system.
class UnpackBudget {
 public:
  // `cache_fd`: a directory on the cache's file system (statvfs), `cache_path` for messages.
  UnpackBudget(const UnpackLimits& limits, int cache_fd, std::string cache_path);
  const UnpackLimits& limits() const { return limits_; }

  // A layer starts: `where` ("image.tar: layer sha256:ab12…") prefixes every message until the
  // next one. Checks the free space.
  void begin_layer(std::string where);
  const std::string& where() const { return where_; }

  // Charges one tar entry (its name as stored and canonical) before anything of it is written.
  void entry(const std::string& raw_name, const std::string& rel);
  // Charges a file's declared size before it is written; keeps the free space above the margin.
  void file_bytes(const std::string& name, uint64_t size);
  // The layer's stream decompressed `out` bytes from `in`.
  void expansion(uint64_t out, uint64_t in) const { check_expansion(limits_, where_, out, in); }

 private:
  [[noreturn]] void exceeded(const std::string& what, const char* key, uint64_t limit,
                             bool size) const;
  void check_space(const std::string& name, uint64_t next);

  UnpackLimits limits_;
  int cache_fd_;
  std::string cache_path_;
  std::string where_;
  uint64_t entries_ = 0, bytes_ = 0;
  uint64_t unchecked_bytes_ = 0, unchecked_entries_ = 0;
  bool space_checked_ = false;
};

}  // namespace policy::image
