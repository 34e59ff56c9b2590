// Fuzzes the layer reader: bytes -> TarStream (compression detected by magic) -> unpack_layer
// into a fresh directory, removed after each input. Needs root for ownership and xattrs, as
// policyrun does; as another user those steps fail with errors, which is fine.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compiler/common/error.hpp"
#include "fuzz/fuzz_util.hpp"
#include "fuzz/image_util.hpp"
#include "runtime/image/limits.hpp"
#include "runtime/image/stream.hpp"
#include "runtime/image/unpack.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::limit_file_size();
  policy::image::require_libarchive();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace policy;
  if (!fuzz::small_when_unpacked(data, size)) return 0;
  fuzz::TempDir dir;
  int root = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) std::abort();
  try {
    fuzz::MemorySource src(data, size);
    image::TarStream tar(src, fuzz::kAllCompressions, "fuzz layer");
    std::vector<std::string> warnings;
    // policyrun's own bounds (runtime/image/limits.hpp), so the fuzzer also exercises them.
    image::UnpackBudget budget(image::UnpackLimits{}, root, dir.path());
    budget.begin_layer("fuzz layer");
    image::unpack_layer(tar, root, "fuzz layer", warnings, budget);
    tar.finish();
    (void)tar.uncompressed_sha256();
  } catch (const Error&) {
  }
  ::close(root);
  return 0;
}
