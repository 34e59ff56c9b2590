// A detached container's output, kept as Docker's json-file driver keeps it: one JSON object per
// line, {"log":"<the line, with its \n>","stream":"stdout"|"stderr","time":"<RFC 3339, ns>"}, in
// <root>/containers/<id>/log.json, rotated to log.json.1 when it would pass kMaxLogBytes (two
// files kept: at most twice that on disk). docs/containers.md "Detached containers".
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "runtime/common/unique_fd.hpp"

namespace policy::container::log {

inline constexpr size_t kMaxLogBytes = 10u << 20;
// A line longer than this is cut into entries of this size (as Docker cuts at 16 KiB).
inline constexpr size_t kMaxLineBytes = 16u << 10;

// Runtime: policyrun's own diagnostics (OOM kills, warnings, its errors), kept as "stderr".
enum class Stream { Stdout, Stderr, Runtime };

// Appends what a stream gives, cut into lines (a partial line waits for its end, up to
// kMaxLineBytes). Never throws once open: a full disk loses log lines, not the container.
class Writer {
 public:
  // Opens (creates) <dir>/log.json for appending. Throws policy::Error naming the file.
  explicit Writer(std::string dir, size_t max_bytes = kMaxLogBytes);
  void append(Stream s, std::string_view bytes);
  void flush();  // writes the partial lines as they are (the stream ended)

 private:
  void entry(Stream s, std::string_view line);
  std::string dir_;
  size_t max_bytes_, size_ = 0;
  runtime::UniqueFd fd_;
  std::string partial_[3];
};

// One entry of a log file (`ok` false for a line that is not one).
struct Entry {
  bool ok = false;
  Stream stream = Stream::Stdout;
  std::string text;
};
Entry parse(const std::string& line);

// "2026-12-02T08:40:11.123456789Z" for CLOCK_REALTIME nanoseconds.
std::string rfc3339nano(int64_t ns);

// Writes the entries of <dir>/log.json.1 then <dir>/log.json (the last `tail` of them; -1: all)
// to `out`. With `follow`, then waits for new entries (noticing a rotation) until `running()`
// says the container has exited, and writes what is left.
void read(const std::string& dir, long tail, bool follow, const std::function<bool()>& running,
          const std::function<void(const Entry&)>& out);

}  // namespace policy::container::log
