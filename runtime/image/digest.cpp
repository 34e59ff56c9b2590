#include "runtime/image/digest.hpp"

#include <openssl/evp.h>

#include "compiler/common/error.hpp"

namespace policy::image {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
    throw Error("OpenSSL: cannot initialise sha256");
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}

void Sha256::update(const void* data, size_t n) {
  if (n == 0) return;
  if (EVP_DigestUpdate(ctx_, data, n) != 1) throw Error("OpenSSL: sha256 update failed");
  bytes_ += n;
}

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, md, &len) != 1) throw Error("OpenSSL: sha256 final failed");
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += digits[md[i] >> 4];
    out += digits[md[i] & 15];
  }
  return out;
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
