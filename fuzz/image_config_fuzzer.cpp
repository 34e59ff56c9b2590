// Fuzzes the image config reader (the JSON object with "config" and "rootfs") of OCI and
// docker-save images: what decides the process to start and the layers' diff_ids.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/common/error.hpp"
#include "runtime/image/formats.hpp"
#include "runtime/image/image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace policy;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)image::parse_image_config(text, "fuzz config");
  } catch (const Error&) {
  }
  try {
    (void)image::config_diff_ids(text, "fuzz config");
  } catch (const Error&) {
  }
  return 0;
}
