// Files seen in a learn run -> the path rules a person would write (docs/learn.md, "Globs"):
//   1. a file under a system library directory (/lib, /lib64, /usr/lib, ...) is covered by
//      `<that directory>/**`;
//   2. a directory two or more levels deep (/etc/nginx, not /etc) that holds at least
//      kCollapseAt distinct seen entries (files, or subdirectories holding seen files) becomes
//      `dir/**`; the shallowest such directory above a file wins;
//   3. a file the program created makes its directory `dir/**` (created names change from run to
//      run: temp files, pid files, logs) when that directory is two or more levels deep or a
//      temporary directory (/tmp, /var/tmp, /run, /dev/shm);
//   4. anything else stays the exact path. /proc, /sys and /dev are never collapsed (1-3).
// A glob gets the union of the uses of the files under it. Nothing is wider than that.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/learn/observations.hpp"

namespace policy::learn {

inline constexpr size_t kCollapseAt = 4;

struct LearnedPath {
  std::string pattern;  // "/usr/lib/**" or an exact path
  uint32_t use = 0;     // FileUse bits of the files it covers
  size_t files = 0;     // distinct files seen under it
  uint64_t count = 0;   // accesses
  std::string example;  // the first file (by name) it covers
  First first;          // of that example
};

// Sorted by pattern. Paths that the policy language cannot write as a plain path (glob
// characters, quotes, newlines) are left out and returned in `skipped`.
std::vector<LearnedPath> learned_paths(const std::map<std::string, FileSeen>& files,
                                       std::vector<std::string>* skipped = nullptr);

// "read+write+exec+map" in the language's words (create is write).
std::string access_words(uint32_t use);

}  // namespace policy::learn
