// Fuzzes the AppArmor profile importer as `policyc import` runs it: profile -> IR -> policy text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/common/error.hpp"
#include "compiler/importer/apparmor_profile.hpp"
#include "compiler/importer/pol_writer.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace policy;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    DiagnosticEngine diags;
    diags.add_source("fuzz.apparmor", text);
    auto policy = importer::import_apparmor(text, "fuzz.apparmor", diags);
    fuzz::render_all(diags);
    if (policy && !diags.has_errors()) (void)importer::write_policy(*policy);
  } catch (const Error&) {
  }
  return 0;
}
