#include "runtime/launch/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiler/common/error.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::files {

bool try_write(const std::string& path, const std::string& content) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) return false;
  ssize_t n = ::write(fd.get(), content.data(), content.size());
  return n == static_cast<ssize_t>(content.size());
}

void write(const std::string& path, const std::string& content) {
  if (!try_write(path, content)) throw sys_error("write '" + content + "'", path);
}

void write_each(const std::string& path, const std::vector<std::string>& records) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) throw sys_error("open", path);
  for (const auto& r : records)
    if (::write(fd.get(), r.data(), r.size()) != static_cast<ssize_t>(r.size()))
      throw sys_error("write '" + r + "'", path);
}

std::optional<std::string> try_read(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::optional<std::string> out = runtime::try_read_fd(fd.get());
  const int saved = errno;  // closing the fd must not change what read() reports
  fd.reset();
  errno = saved;
  return out;
}

std::string read(const std::string& path) {
  auto text = try_read(path);
  if (!text) throw sys_error("read", path);
  return *text;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

void make_dir(const std::string& path, unsigned mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw sys_error("mkdir", path);
}

}  // namespace policy::launch::files
