// Helpers for front-end tests: compile policy text in memory and capture rendered diagnostics.
#pragma once

#include <seccomp.h>

#include <optional>
#include <sstream>
#include <string>

#include "compiler/common/diagnostics.hpp"
#include "compiler/frontend/frontend.hpp"

namespace policy::test {

struct Compiled {
  std::optional<ir::Policy> policy;
  std::string diagnostics;  // every diagnostic, rendered exactly as policyc prints it
  unsigned errors = 0, warnings = 0;
};

inline uint32_t arch(const char* name) {
  return seccomp_arch_resolve_name(name);
}

// Defaults that make results independent of the host: x86_64 only, kernel 6.1.
inline frontend::LoadOptions options() {
  frontend::LoadOptions o;
  o.arches = {arch("x86_64")};
  o.kernel = ir::KernelVersion{6, 1};
  return o;
}

inline Compiled compile_with(const std::string& text, const frontend::LoadOptions& o,
                             const std::string& name = "test.pol") {
  DiagnosticEngine diags;
  Compiled c;
  c.policy = frontend::load_policy_text(name, text, o, diags);
  for (const Diagnostic& d : diags.diagnostics()) c.diagnostics += diags.render(d);
  c.errors = diags.error_count();
  c.warnings = diags.warning_count();
  return c;
}

inline Compiled compile(const std::string& text) {
  return compile_with(text, options());
}

}  // namespace policy::test
