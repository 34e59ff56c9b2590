// Fuzzes the seccomp JSON importer as `policyc import` runs it: JSON -> Policy IR -> policy text.
#include <seccomp.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/common/error.hpp"
#include "compiler/importer/pol_writer.hpp"
#include "compiler/importer/seccomp_json.hpp"
#include "compiler/ir/policy.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace policy;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    DiagnosticEngine diags;
    diags.add_source("fuzz.json", text);
    importer::JsonImportOptions options;
    options.file_name = "fuzz.json";
    options.kernel = ir::KernelVersion{6, 1};
    options.native_arches = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
    ir::Policy policy;
    policy.name = "fuzz";
    policy.seccomp = importer::seccomp_from_json(j, options, diags);
    fuzz::render_all(diags);
    if (!diags.has_errors()) (void)importer::write_policy(policy);
  } catch (const Error&) {
  }
  return 0;
}
