// OpenSSL's libcrypto is loaded on first use: only an image being verified or unpacked needs a
// digest, while linking libcrypto in cost every launch ~1 ms (its tables are relocated at each
// start, bench/README.md). A launch from a rootfs directory, or from an image remembered in the
// cache (image.cpp), never loads it. The functions keep the header's prototypes (decltype).
#include "runtime/image/digest.hpp"

#include <openssl/evp.h>

#include "compiler/common/error.hpp"
#include "runtime/common/text.hpp"
#include "runtime/image/fsutil.hpp"
#include "runtime/image/lazy_library.hpp"

namespace policy::image {

namespace {

// Debian's libssl3 (OpenSSL 3.x ABI).
constinit LazyLibrary libcrypto("libcrypto.so.3", "verifying an image's sha256 digests",
                                "install Debian's libssl3");

struct Evp {
  decltype(&EVP_MD_CTX_new) ctx_new =
      libcrypto.function<decltype(&EVP_MD_CTX_new)>("EVP_MD_CTX_new");
  decltype(&EVP_MD_CTX_free) ctx_free =
      libcrypto.function<decltype(&EVP_MD_CTX_free)>("EVP_MD_CTX_free");
  decltype(&EVP_sha256) sha256 = libcrypto.function<decltype(&EVP_sha256)>("EVP_sha256");
  decltype(&EVP_DigestInit_ex) init =
      libcrypto.function<decltype(&EVP_DigestInit_ex)>("EVP_DigestInit_ex");
  decltype(&EVP_DigestUpdate) update =
      libcrypto.function<decltype(&EVP_DigestUpdate)>("EVP_DigestUpdate");
  decltype(&EVP_DigestFinal_ex) final =
      libcrypto.function<decltype(&EVP_DigestFinal_ex)>("EVP_DigestFinal_ex");
};

const Evp& evp() {
  static const Evp e;  // a failed load throws here, and is retried (and reported) next time
  return e;
}

}  // namespace

Sha256::Sha256() : ctx_(evp().ctx_new()) {
  if (!ctx_ || evp().init(ctx_, evp().sha256(), nullptr) != 1)
    throw Error("OpenSSL: cannot initialise sha256");
}

Sha256::~Sha256() {
  evp().ctx_free(ctx_);
}

void Sha256::update(const void* data, size_t n) {
  if (n == 0) return;
  if (evp().update(ctx_, data, n) != 1) throw Error("OpenSSL: sha256 update failed");
  bytes_ += n;
}

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (evp().final(ctx_, md, &len) != 1) throw Error("OpenSSL: sha256 final failed");
  return runtime::hex_bytes(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.hex();
}

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string parse_sha256_digest(const std::string& digest, const std::string& what) {
  static const std::string prefix = "sha256:";
  if (digest.rfind(prefix, 0) != 0) {
    auto colon = digest.find(':');
    if (colon != std::string::npos && colon > 0)
      throw Error(what + ": digest '" + digest + "' uses algorithm '" + digest.substr(0, colon) +
                  "'; only sha256 is supported");
    throw Error(what + ": malformed digest '" + digest + "' (expected sha256:<64 hex digits>)");
  }
  std::string hex = digest.substr(prefix.size());
  if (!is_sha256_hex(hex))
    throw Error(what + ": malformed digest '" + digest + "' (expected sha256:<64 hex digits>)");
  return hex;
}

std::string short_digest(const std::string& hex) {
  return "sha256:" + hex.substr(0, 12);
}

}  // namespace policy::image
