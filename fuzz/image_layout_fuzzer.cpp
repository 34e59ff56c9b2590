// Fuzzes the image formats end to end: docker-save manifest.json and OCI index/manifest/config,
// their digests and sizes, and the layers they lead to, through prepare_image on a directory
// built per input (cache and all below one temporary directory, removed after each input).
//
// Input format (fuzz/corpus/image_layout/ has examples): optional first line "TAG=<tag>\n" (the
// image reference becomes DIR:<tag>), then parts separated by lines "%%". Part 0 is manifest.json
// when it starts with '[' (docker save), else index.json (OCI layout, with an oci-layout file).
// Parts 1..9 are blobs, written as blobs/sha256/<their sha256>. In any part, "@N@" is replaced by
// the sha256 hex of part N and "#N#" by its size, for N greater than the part's own number, so
// that an input can hold a consistent chain index -> manifest -> config and layers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/common/error.hpp"
#include "fuzz/fuzz_util.hpp"
#include "fuzz/image_util.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/image/image.hpp"

namespace {

constexpr size_t kMaxParts = 10;

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::limit_file_size();
  policy::image::require_libarchive();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace policy;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::string tag;
  if (text.rfind("TAG=", 0) == 0) {
    size_t nl = text.find('\n');
    if (nl == std::string::npos) return 0;
    tag = text.substr(4, nl - 4);
    text.erase(0, nl + 1);
  }
  std::vector<std::string> parts;
  for (size_t pos = 0;;) {
    size_t sep = text.find("\n%%\n", pos);
    parts.push_back(text.substr(pos, sep == std::string::npos ? std::string::npos : sep - pos));
    if (sep == std::string::npos || parts.size() == kMaxParts) break;
    pos = sep + 4;
  }
  std::vector<std::string> hex(parts.size());
  for (size_t i = parts.size(); i-- > 0;) {
    for (size_t n = i + 1; n < parts.size(); ++n) {
      replace_all(parts[i], "@" + std::to_string(n) + "@", hex[n]);
      replace_all(parts[i], "#" + std::to_string(n) + "#", std::to_string(parts[n].size()));
    }
    hex[i] = image::sha256_hex(parts[i]);
    if (i > 0 && !fuzz::small_when_unpacked(parts[i].data(), parts[i].size())) return 0;
  }

  fuzz::TempDir dir;
  const std::string img = dir.path() + "/image";
  ::mkdir(img.c_str(), 0755);
  const bool docker = !parts[0].empty() && parts[0][0] == '[';
  write_file(img + (docker ? "/manifest.json" : "/index.json"), parts[0]);
  if (!docker) write_file(img + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
  if (parts.size() > 1) {
    ::mkdir((img + "/blobs").c_str(), 0755);
    ::mkdir((img + "/blobs/sha256").c_str(), 0755);
  }
  for (size_t i = 1; i < parts.size(); ++i) write_file(img + "/blobs/sha256/" + hex[i], parts[i]);
  try {
    image::CacheOptions options;
    options.root = dir.path() + "/cache";
    auto prepared = image::prepare_image(tag.empty() ? img : img + ":" + tag, options);
    (void)prepared;
  } catch (const Error&) {
  }
  return 0;
}
