// Reading (possibly compressed) tar streams with libarchive while hashing both the bytes as
// stored (the blob digest) and the decompressed tar (the diff_id):
//   ByteSource --sha256--> libarchive "raw" + gzip/zstd/... filter --sha256--> libarchive tar
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/image/digest.hpp"

struct archive;
struct archive_entry;

namespace policy::image {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills up to n bytes; 0 at the end. Throws policy::Error on failure.
  virtual size_t read(void* buf, size_t n) = 0;
};

class FdSource : public ByteSource {
 public:
  FdSource(int fd, std::string display) : fd_(fd), display_(std::move(display)) {}
  size_t read(void* buf, size_t n) override;

 private:
  int fd_;
  std::string display_;
};

class TarStream;

// The data of the current entry of an open archive (an entry inside an outer tarball).
class ArchiveDataSource : public ByteSource {
 public:
  ArchiveDataSource(TarStream& outer, std::string display)
      : outer_(outer), display_(std::move(display)) {}
  size_t read(void* buf, size_t n) override;

 private:
  TarStream& outer_;
  std::string display_;
};

// Loads libarchive (runtime/image/libarchive_loader.cpp) or throws an Error naming the package.
void require_libarchive();

enum class Compression { None, Gzip, Zstd, Xz, Bzip2 };
std::string compression_name(Compression c);

class TarStream {
 public:
  // Called with (decompressed, stored) byte counts as the stream is decompressed; it throws to
  // stop a decompression bomb (limits.hpp), and the exception comes out of next() or finish().
  using ExpansionCheck = std::function<void(uint64_t out, uint64_t in)>;
  // `allowed`: compressions accepted (detected by magic bytes). `context` prefixes messages.
  TarStream(ByteSource& src, std::vector<Compression> allowed, std::string context,
            ExpansionCheck check = {});
  ~TarStream();
  TarStream(const TarStream&) = delete;
  TarStream& operator=(const TarStream&) = delete;

  // The next entry, or nullptr at the end of the archive. Throws with context on errors.
  archive_entry* next();
  archive* tar() { return tar_; }  // for archive_read_data* on the current entry
  Compression compression() const { return compression_; }
  // Reads the rest of both streams so the digests cover every byte; call after next()==nullptr.
  void finish();
  const std::string& compressed_sha256() const { return compressed_hex_; }
  const std::string& uncompressed_sha256() const { return uncompressed_hex_; }
  uint64_t compressed_size() const { return compressed_size_; }
  // Bytes read from the source and produced by decompression so far.
  uint64_t stored_bytes_read() const { return compressed_.bytes(); }
  uint64_t decompressed_bytes() const { return uncompressed_.bytes(); }
  // libarchive's message for the last failure of the tar reader, with the context prefix.
  std::string error_text(const std::string& what) const;
  // Rethrows an exception raised inside a libarchive callback (source read errors).
  void rethrow_pending();

 private:
  friend struct StreamCallbacks;
  void open_readers(const std::vector<Compression>& allowed);
  ByteSource& src_;
  std::string context_;
  archive* raw_ = nullptr;
  archive* tar_ = nullptr;
  bool empty_ = false, done_ = false;
  Compression compression_ = Compression::None;
  Sha256 compressed_, uncompressed_;
  std::string compressed_hex_, uncompressed_hex_;
  uint64_t compressed_size_ = 0;
  std::vector<char> src_buf_, raw_buf_;
  std::string peeked_;
  std::string last_entry_;
  bool peek_pending_ = false;
  std::exception_ptr pending_;
  ExpansionCheck check_;
};

}  // namespace policy::image
