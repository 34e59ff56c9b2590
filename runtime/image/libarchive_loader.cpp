// libarchive, loaded on first use. Only archives need it (a docker-save tarball, an OCI layout's
// layers, a rootfs tarball), and only until their layers are in the cache, while its dependency
// chain (xml2, ICU, nettle, acl, lzma, zstd, lz4, bz2, zlib) costs every launch about 7 ms of
// dynamic loading when linked in. So policyrun does not link libarchive: the functions this folder
// calls are defined here with the header's own prototypes (the compiler checks each against
// <archive.h>) and forward to the library's definitions, found with dlopen/dlsym on first call.
// A missing library is an error that says which package to install, raised before anything is
// unpacked (require_libarchive() is called when an archive is opened).
#include <archive.h>
#include <archive_entry.h>

#include <cstdarg>
#include <cstdio>

#include "runtime/image/lazy_library.hpp"
#include "runtime/image/stream.hpp"

namespace policy::image {

namespace {

// Debian's libarchive13 (libarchive 3.x ABI).
constinit LazyLibrary libarchive(
    "libarchive.so.13", "reading an image archive",
    "install Debian's libarchive13, or give the image as a rootfs directory");

}  // namespace

void require_libarchive() {
  (void)libarchive.handle();
}

template <typename F>
F real(const char* name) {
  return libarchive.function<F>(name);
}

}  // namespace policy::image

// One forwarder per function used in runtime/image. The pointer is looked up once per function.
#define PR_ARCHIVE_FORWARD(ret, name, params, args)                                 \
  extern "C" ret name params {                                                      \
    static const auto fn = policy::image::real<decltype(&name)>(#name);            \
    return fn args;                                                                 \
  }

PR_ARCHIVE_FORWARD(struct archive*, archive_read_new, (void), ())
PR_ARCHIVE_FORWARD(int, archive_read_free, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_support_filter_bzip2, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_support_filter_gzip, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_support_filter_xz, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_support_filter_zstd, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_support_format_empty, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_support_format_raw, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_support_format_tar, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_read_open,
                   (struct archive * a, void* data, archive_open_callback* o,
                    archive_read_callback* r, archive_close_callback* c),
                   (a, data, o, r, c))
PR_ARCHIVE_FORWARD(int, archive_read_next_header, (struct archive * a, struct archive_entry** e),
                   (a, e))
PR_ARCHIVE_FORWARD(la_ssize_t, archive_read_data, (struct archive * a, void* buf, size_t n),
                   (a, buf, n))
PR_ARCHIVE_FORWARD(int, archive_read_data_block,
                   (struct archive * a, const void** buf, size_t* n, la_int64_t* off),
                   (a, buf, n, off))
PR_ARCHIVE_FORWARD(int, archive_errno, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(const char*, archive_error_string, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(int, archive_filter_code, (struct archive * a, int i), (a, i))
PR_ARCHIVE_FORWARD(int, archive_filter_count, (struct archive * a), (a))
PR_ARCHIVE_FORWARD(const char*, archive_filter_name, (struct archive * a, int i), (a, i))
PR_ARCHIVE_FORWARD(int, archive_entry_acl_count, (struct archive_entry * e, int t), (e, t))
PR_ARCHIVE_FORWARD(time_t, archive_entry_atime, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(int, archive_entry_atime_is_set, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(long, archive_entry_atime_nsec, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(__LA_MODE_T, archive_entry_filetype, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(la_int64_t, archive_entry_gid, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(const char*, archive_entry_hardlink, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(time_t, archive_entry_mtime, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(int, archive_entry_mtime_is_set, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(long, archive_entry_mtime_nsec, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(const char*, archive_entry_pathname, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(__LA_MODE_T, archive_entry_perm, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(la_int64_t, archive_entry_size, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(int, archive_entry_size_is_set, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(const char*, archive_entry_symlink, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(la_int64_t, archive_entry_uid, (struct archive_entry * e), (e))
PR_ARCHIVE_FORWARD(int, archive_entry_xattr_next,
                   (struct archive_entry * e, const char** name, const void** value, size_t* n),
                   (e, name, value, n))
PR_ARCHIVE_FORWARD(int, archive_entry_xattr_reset, (struct archive_entry * e), (e))

// The one variadic function: formatted here, passed on as "%s".
extern "C" void archive_set_error(struct archive* a, int err, const char* fmt, ...) {
  static const auto fn = policy::image::real<decltype(&archive_set_error)>("archive_set_error");
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fn(a, err, "%s", buf);
}
