#include "runtime/image/stream.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include "compiler/common/error.hpp"

namespace policy::image {

namespace {
constexpr size_t kBlock = 64 * 1024;
}

namespace {

// libarchive may fail without a message (a truncated gzip header): never a null in a string.
std::string archive_message(struct archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unreadable data (libarchive gave no reason)";
}

}  // namespace

size_t FdSource::read(void* buf, size_t n) {
  for (;;) {
    ssize_t r = ::read(fd_, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) throw sys_error("read", display_);
  }
}

size_t ArchiveDataSource::read(void* buf, size_t n) {
  la_ssize_t r = archive_read_data(outer_.tar(), buf, n);
  if (r < 0) {
    outer_.rethrow_pending();  // a limit of the outer stream, or its source's read error
    const char* e = archive_error_string(outer_.tar());
    throw Error(display_ + ": " + (e ? e : "read error"));
  }
  return static_cast<size_t>(r);
}

std::string compression_name(Compression c) {
  switch (c) {
    case Compression::None:
      return "uncompressed";
    case Compression::Gzip:
      return "gzip";
    case Compression::Zstd:
      return "zstd";
    case Compression::Xz:
      return "xz";
    case Compression::Bzip2:
      return "bzip2";
  }
  return "?";
}

struct StreamCallbacks {
  // Feeds the raw reader from the source, hashing the stored bytes.
  static la_ssize_t raw_read(archive* a, void* ctx, const void** buf) {
    auto* s = static_cast<TarStream*>(ctx);
    try {
      if (s->peek_pending_) {
        s->peek_pending_ = false;
        *buf = s->peeked_.data();
        return static_cast<la_ssize_t>(s->peeked_.size());
      }
      size_t n = s->src_.read(s->src_buf_.data(), s->src_buf_.size());
      s->compressed_.update(s->src_buf_.data(), n);
      *buf = s->src_buf_.data();
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      s->pending_ = std::current_exception();
      archive_set_error(a, EIO, "read failed");
      return -1;
    }
  }
  // Feeds the tar reader with decompressed bytes, hashing them.
  static la_ssize_t tar_read(archive* a, void* ctx, const void** buf) {
    auto* s = static_cast<TarStream*>(ctx);
    la_ssize_t n = archive_read_data(s->raw_, s->raw_buf_.data(), s->raw_buf_.size());
    if (n < 0) {
      const char* e = archive_error_string(s->raw_);
      archive_set_error(a, archive_errno(s->raw_) ? archive_errno(s->raw_) : EIO, "%s",
                        e ? e : "decompression failed");
      return -1;
    }
    s->uncompressed_.update(s->raw_buf_.data(), static_cast<size_t>(n));
    if (s->check_) {
      try {
        s->check_(s->uncompressed_.bytes(), s->compressed_.bytes());
      } catch (...) {
        s->pending_ = std::current_exception();
        archive_set_error(a, EFBIG, "a limit of the image was reached");
        return -1;
      }
    }
    *buf = s->raw_buf_.data();
    return n;
  }
};

TarStream::TarStream(ByteSource& src, std::vector<Compression> allowed, std::string context,
                     ExpansionCheck check)
    : src_(src),
      context_(std::move(context)),
      src_buf_(kBlock),
      raw_buf_(kBlock),
      check_(std::move(check)) {
  // Peek: an empty stream is an empty layer (libarchive's raw reader refuses 0 bytes).
  std::string first(kBlock, '\0');
  size_t n = src_.read(first.data(), first.size());
  if (n == 0) {
    empty_ = true;
    return;
  }
  first.resize(n);
  compressed_.update(first.data(), n);
  peeked_ = std::move(first);
  peek_pending_ = true;

  require_libarchive();  // a clear error now rather than from the first libarchive call
  raw_ = archive_read_new();
  tar_ = archive_read_new();
  try {
    open_readers(allowed);
  } catch (...) {
    archive_read_free(tar_);
    archive_read_free(raw_);
    tar_ = raw_ = nullptr;
    throw;
  }
}

void TarStream::open_readers(const std::vector<Compression>& allowed) {
  if (!raw_ || !tar_) throw Error(context_ + ": libarchive: out of memory");
  // Only filters libarchive implements in-process; never external decompressor programs.
  archive_read_support_filter_gzip(raw_);
  archive_read_support_filter_zstd(raw_);
  archive_read_support_filter_xz(raw_);
  archive_read_support_filter_bzip2(raw_);
  archive_read_support_format_raw(raw_);
  if (archive_read_open(raw_, this, nullptr, &StreamCallbacks::raw_read, nullptr) != ARCHIVE_OK) {
    rethrow_pending();
    throw Error(context_ + ": " + archive_message(raw_));
  }
  int filters = archive_filter_count(raw_);
  std::vector<Compression> found;
  for (int i = 0; i < filters; ++i) {
    switch (archive_filter_code(raw_, i)) {
      case ARCHIVE_FILTER_NONE:
        break;
      case ARCHIVE_FILTER_GZIP:
        found.push_back(Compression::Gzip);
        break;
      case ARCHIVE_FILTER_ZSTD:
        found.push_back(Compression::Zstd);
        break;
      case ARCHIVE_FILTER_XZ:
        found.push_back(Compression::Xz);
        break;
      case ARCHIVE_FILTER_BZIP2:
        found.push_back(Compression::Bzip2);
        break;
      default:
        throw Error(context_ + ": unsupported compression '" + archive_filter_name(raw_, i) + "'");
    }
  }
  if (found.size() > 1)
    throw Error(context_ + ": compressed twice (" + compression_name(found[0]) + " inside " +
                compression_name(found[1]) + "); refusing");
  compression_ = found.empty() ? Compression::None : found[0];
  bool ok = false;
  for (auto c : allowed) ok = ok || c == compression_;
  if (!ok) {
    std::string names;
    for (auto c : allowed) names += (names.empty() ? "" : ", ") + compression_name(c);
    throw Error(context_ + ": data is " + compression_name(compression_) + " but only " + names +
                " is accepted here");
  }
  archive_entry* raw_entry = nullptr;
  if (archive_read_next_header(raw_, &raw_entry) != ARCHIVE_OK) {
    rethrow_pending();
    throw Error(context_ + ": " + archive_message(raw_));
  }
  archive_read_support_format_tar(tar_);
  archive_read_support_format_empty(tar_);
  if (archive_read_open(tar_, this, nullptr, &StreamCallbacks::tar_read, nullptr) != ARCHIVE_OK) {
    rethrow_pending();
    throw Error(error_text("not a tar archive"));
  }
}

TarStream::~TarStream() {
  if (tar_) archive_read_free(tar_);
  if (raw_) archive_read_free(raw_);
}

void TarStream::rethrow_pending() {
  if (pending_) {
    auto p = pending_;
    pending_ = nullptr;
    std::rethrow_exception(p);
  }
}

std::string TarStream::error_text(const std::string& what) const {
  const char* e = tar_ ? archive_error_string(tar_) : nullptr;
  return context_ + ": " + what + (e ? std::string(": ") + e : std::string());
}

archive_entry* TarStream::next() {
  if (empty_ || done_) return nullptr;
  archive_entry* e = nullptr;
  int r = archive_read_next_header(tar_, &e);
  if (r == ARCHIVE_EOF) {
    done_ = true;
    return nullptr;
  }
  if (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
    const char* name = archive_entry_pathname(e);
    last_entry_ = name ? name : "?";
    return e;
  }
  rethrow_pending();
  // Usually the previous entry's data ran short (truncated or corrupt stream): name it.
  std::string where =
      last_entry_.empty() ? "at the first entry" : "after entry '" + last_entry_ + "'";
  throw Error(error_text(where + ": cannot read the next tar header") + "; refusing the image");
}

void TarStream::finish() {
  if (!empty_) {
    // Everything after the tar end marker still belongs to the blob and its digests.
    for (;;) {
      la_ssize_t n = archive_read_data(raw_, raw_buf_.data(), raw_buf_.size());
      if (n < 0) {
        rethrow_pending();
        throw Error(context_ + ": " + archive_message(raw_));
      }
      if (n == 0) break;
      uncompressed_.update(raw_buf_.data(), static_cast<size_t>(n));
      if (check_) check_(uncompressed_.bytes(), compressed_.bytes());  // data after the tar end
    }
    for (;;) {
      size_t n = src_.read(src_buf_.data(), src_buf_.size());
      if (n == 0) break;
      compressed_.update(src_buf_.data(), n);
    }
  }
  compressed_size_ = compressed_.bytes();
  compressed_hex_ = compressed_.hex();
  uncompressed_hex_ = uncompressed_.hex();
}

}  // namespace policy::image
