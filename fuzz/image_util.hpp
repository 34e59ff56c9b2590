// Pieces of the image fuzzers: an in-memory byte source and a bound on what an archive may
// unpack to, so that a small compressed input cannot fill the disk of the machine fuzzing.
#pragma once

#include <archive_entry.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstring>
#include <string>

#include "compiler/common/error.hpp"
#include "runtime/image/stream.hpp"

namespace fuzz {

class MemorySource : public policy::image::ByteSource {
 public:
  MemorySource(const void* data, size_t size)
      : data_(static_cast<const char*>(data)), left_(size) {}
  size_t read(void* buf, size_t n) override {
    if (n > left_) n = left_;
    std::memcpy(buf, data_, n);
    data_ += n;
    left_ -= n;
    return n;
  }

 private:
  const char* data_;
  size_t left_;
};

inline const std::vector<policy::image::Compression> kAllCompressions = {
    policy::image::Compression::None, policy::image::Compression::Gzip,
    policy::image::Compression::Zstd, policy::image::Compression::Xz,
    policy::image::Compression::Bzip2};

// Entries and declared bytes an input may unpack to (a real layer is far bigger; a fuzz input
// is not, and decompression bombs are refused by the unpacker's own limits, not tested here).
constexpr size_t kMaxEntries = 4096;
constexpr uint64_t kMaxBytes = 32u << 20;

// True when the bytes, read as a (possibly compressed) tar, declare at most kMaxEntries entries
// and kMaxBytes of data before their end or their first error.
inline bool small_when_unpacked(const void* data, size_t size) {
  MemorySource src(data, size);
  size_t entries = 0;
  uint64_t bytes = 0;
  try {
    policy::image::TarStream tar(src, kAllCompressions, "fuzz prescan");
    while (archive_entry* e = tar.next()) {
      int64_t s = archive_entry_size(e);
      if (++entries > kMaxEntries) return false;
      if (s > 0) bytes += static_cast<uint64_t>(s);
      if (bytes > kMaxBytes) return false;
    }
  } catch (const policy::Error&) {
  }
  return true;
}

// Every file written is also capped by RLIMIT_FSIZE (writes past it fail with EFBIG).
inline void limit_file_size() {
  ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit rl {};
  rl.rlim_cur = rl.rlim_max = kMaxBytes;
  ::setrlimit(RLIMIT_FSIZE, &rl);
}

}  // namespace fuzz
