// sha256 through OpenSSL's libcrypto, and the "sha256:<64 hex>" digest strings images use.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace policy::image {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t n);
  std::string hex();  // finishes the hash; 64 lowercase hex digits
  uint64_t bytes() const { return bytes_; }

 private:
  EVP_MD_CTX* ctx_;
  uint64_t bytes_ = 0;
};

std::string sha256_hex(std::string_view data);

// True for exactly 64 lowercase hex digits (safe to use as a file name).
bool is_sha256_hex(std::string_view s);

// "sha256:<hex>" -> "<hex>"; throws policy::Error (naming `what`) for any other algorithm or a
// malformed value, so a digest can never smuggle a path into a blob lookup.
std::string parse_sha256_digest(const std::string& digest, const std::string& what);

// "sha256:ab12cd34ef56" for messages.
std::string short_digest(const std::string& hex);

}  // namespace policy::image
