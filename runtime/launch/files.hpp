// Small host-file helpers shared by the launch steps (cgroup files, /proc files, state dirs).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace policy::launch::files {

// Writes `content` to an existing file (no create, no truncation semantics beyond O_WRONLY).
// Throws policy::Error naming the path.
void write(const std::string& path, const std::string& content);
// Writes each record with a write() of its own through one open of `path`: cgroup and /proc files
// that take one record per write (devices.allow) without reopening the file for each.
void write_each(const std::string& path, const std::vector<std::string>& records);
// Like write() but returns false instead of throwing (errno set).
bool try_write(const std::string& path, const std::string& content);
std::string read(const std::string& path);
// The file's contents, or nothing when it cannot be opened (missing, no permission, a cgroup file
// a controller does not have): for files whose absence is an answer, not a failure.
std::optional<std::string> try_read(const std::string& path);
bool exists(const std::string& path);
// mkdir that tolerates EEXIST.
void make_dir(const std::string& path, unsigned mode);

}  // namespace policy::launch::files
