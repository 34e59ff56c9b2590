// Writes one layer's tar entries below a directory with *at system calls, treating every byte as
// hostile: no absolute names, no "..", no write through a symlink (each path component is opened
// with O_NOFOLLOW|O_DIRECTORY relative to the layer root), hardlinks only to entries of this
// layer, whiteouts converted to overlayfs form. See docs/images.md for the full rule set.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/image/stream.hpp"

namespace policy::image {

class UnpackBudget;

// `context` prefixes every message: "image.tar: layer sha256:ab12…". Throws policy::Error
// "<context>: entry '<name>': <reason>; refusing the image" on the first bad entry.
// Warnings (device nodes skipped, xattrs dropped) are appended to `warnings`. Every entry is
// charged to `budget` before it is written (limits.hpp); a limit reached throws LimitError.
void unpack_layer(TarStream& tar, int root_fd, const std::string& context,
                  std::vector<std::string>& warnings, UnpackBudget& budget);

// The entry name made relative and canonical ("./a//b/" -> "a/b", "./" -> ""), or throws for an
// empty or absolute name, one too long or with a ".." component. Exposed for tests.
std::string normalize_entry_name(const std::string& raw, const std::string& context);
// The same without throwing: nullopt, and `why` says what is wrong with the name.
std::optional<std::string> clean_entry_name(const std::string& raw, const char** why = nullptr);

}  // namespace policy::image
