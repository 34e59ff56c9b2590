#include "compiler/driver/output_files.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "compiler/common/error.hpp"

namespace fs = std::filesystem;

namespace policy::driver {

namespace {

// `content` in a new temporary file in `target`'s directory; returns its path.
std::string write_temporary(const fs::path& target, const std::string& content) {
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string name = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(name.data());
  if (fd < 0) throw sys_error("cannot create a temporary file in", dir.string());
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = sys_error("cannot write", target.string());
      ::close(fd);
      ::unlink(name.c_str());
      throw e;
    }
    done += static_cast<size_t>(n);
  }
  // mkstemp makes the file 0600; the output is an ordinary file, readable as umask allows.
  mode_t mask = ::umask(0);
  ::umask(mask);
  bool ok = ::fchmod(fd, 0666 & ~mask) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    Error e = sys_error("cannot write", target.string());
    ::unlink(name.c_str());
    throw e;
  }
  return name;
}

}  // namespace

void write_files_atomically(const std::vector<OutputFile>& files) {
  std::vector<std::string> temporaries;
  try {
    for (const OutputFile& f : files) temporaries.push_back(write_temporary(f.path, f.content));
    for (size_t i = 0; i < files.size(); ++i) {
      if (::rename(temporaries[i].c_str(), files[i].path.c_str()) != 0)
        throw sys_error("cannot replace", files[i].path);
      temporaries[i].clear();
    }
  } catch (...) {
    for (const std::string& t : temporaries)
      if (!t.empty()) ::unlink(t.c_str());
    throw;
  }
}

}  // namespace policy::driver
