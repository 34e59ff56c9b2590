// Fuzzes the policy front end: parse, load (includes, groups, policies) and resolve one policy
// text. Includes resolve only against the shipped policies/ directory: an input that includes an
// absolute path or a name with ".." is only parsed, so no host file (/proc/kmsg ...) is read.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/common/error.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/frontend/parse.hpp"
#include "fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::unsetenv("POLICY_PATH");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace policy;
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The input poses as a file of policies/, so `include "docker-default.pol"` finds the real one.
  const std::string name = std::string(POLICY_FUZZ_POLICIES_DIR) + "/fuzz-input.pol";
  try {
    DiagnosticEngine parse_diags;
    auto file = frontend::parse_policy_text(name, text, parse_diags);
    fuzz::render_all(parse_diags);
    if (!file) return 0;
    for (const auto& inc : file->includes) {
      const std::string& want = inc.file.text;
      if (want.empty() || want[0] == '/' || want.find("..") != std::string::npos) return 0;
    }
    frontend::LoadOptions options;
    options.kernel = ir::KernelVersion{6, 1};
    DiagnosticEngine diags;
    auto policy = frontend::load_policy_text(name, text, options, diags);
    fuzz::render_all(diags);
    (void)policy;
  } catch (const Error&) {
  }
  return 0;
}
