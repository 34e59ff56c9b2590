// Shared pieces of the libFuzzer targets (docs/fuzzing.md). Every target treats policy::Error as
// the expected way to refuse bad input; any other exception, a sanitizer report, a leak or a
// timeout is a bug libFuzzer reports with the input that caused it.
#pragma once

#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "compiler/common/diagnostics.hpp"

namespace fuzz {

// Renders every diagnostic as policyc prints it (source line, caret, notes) so the renderer is
// exercised too; the text is dropped.
inline void render_all(const policy::DiagnosticEngine& diags) {
  size_t total = 0;
  for (const policy::Diagnostic& d : diags.diagnostics()) total += diags.render(d).size();
  (void)total;
}

// A fresh directory under $TMPDIR (default /tmp) for one input, removed with all its contents.
class TempDir {
 public:
  TempDir() {
    const char* t = std::getenv("TMPDIR");
    path_ = std::string(t && *t ? t : "/tmp") + "/policy-fuzz-XXXXXX";
    if (!::mkdtemp(path_.data())) {
      std::perror("policy fuzzer: mkdtemp");
      std::abort();
    }
  }
  ~TempDir() {
    // Depth first, without following symlinks: an unpacked input may hold anything.
    ::nftw(
        path_.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) {
          (void)::remove(p);
          return 0;
        },
        64, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace fuzz
