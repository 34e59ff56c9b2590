// A live process's seccomp filters as policy text: the decompiled rules (compiler/seccomp/
// decompile.hpp) written by the importer's writer, with what the text cannot say as comments.
#pragma once

#include <string>
#include <vector>

#include "compiler/seccomp/decompile.hpp"

namespace policy::inspect {

// `policy NAME { syscalls default ... { ... } }` for one decompiled filter. `header` lines come
// first as comments, then one comment line per note of the decompiler.
std::string filter_policy_text(const seccomp::Decompiled& filter, const std::string& name,
                               const std::vector<std::string>& header = {});

}  // namespace policy::inspect
