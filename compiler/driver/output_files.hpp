// Every file policyc writes goes through here: all of a command's files appear whole, or none.
#pragma once

#include <string>
#include <vector>

namespace policy::driver {

struct OutputFile {
  std::string path;
  std::string content;
};

// Writes each file to a temporary file beside it, then renames them all into place: a failure
// before the renames leaves nothing behind (the temporary files are removed) and a reader never
// sees a half-written file. Throws policy::Error naming the path.
void write_files_atomically(const std::vector<OutputFile>& files);

}  // namespace policy::driver
