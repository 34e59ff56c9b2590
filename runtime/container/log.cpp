#include "runtime/container/log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <deque>
#include <nlohmann/json.hpp>
#include <thread>

#include "compiler/common/error.hpp"
#include "runtime/container/store.hpp"

namespace policy::container::log {
namespace {

using runtime::UniqueFd;

const char* stream_name(Stream s) {
  return s == Stream::Stdout ? "stdout" : "stderr";
}

UniqueFd open_log(const std::string& path) {
  return UniqueFd(
      ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
}

// Reads the complete lines `fd` has from its current offset; a partial last line stays unread
// (the offset is moved back to its start) until its end arrives.
void read_lines(int fd, const std::function<void(const std::string&)>& line) {
  std::string pending;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) {
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      line(pending.substr(start, nl - start));
    pending.erase(0, start);
  }
  if (!pending.empty()) ::lseek(fd, -static_cast<off_t>(pending.size()), SEEK_CUR);
}

}  // namespace

std::string rfc3339nano(int64_t ns) {
  const time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm {};
  ::gmtime_r(&secs, &tm);
  char date[32], out[48];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(out, sizeof out, "%s.%09lldZ", date, static_cast<long long>(ns % 1000000000));
  return out;
}

Writer::Writer(std::string dir, size_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {
  const std::string path = dir_ + "/log.json";
  fd_ = open_log(path);
  if (!fd_.valid()) throw sys_error("open the container's log", path);
  struct stat st;
  if (::fstat(fd_.get(), &st) == 0) size_ = static_cast<size_t>(st.st_size);
}

void Writer::append(Stream s, std::string_view bytes) {
  std::string& part = partial_[static_cast<int>(s)];
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    const size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
    part.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (part.back() == '\n') {
      entry(s, part);
      part.clear();
    }
    while (part.size() >= kMaxLineBytes) {
      entry(s, std::string_view(part).substr(0, kMaxLineBytes));
      part.erase(0, kMaxLineBytes);
    }
  }
}

void Writer::flush() {
  for (Stream s : {Stream::Stdout, Stream::Stderr, Stream::Runtime}) {
    std::string& part = partial_[static_cast<int>(s)];
    if (!part.empty()) entry(s, part);
    part.clear();
  }
}

void Writer::entry(Stream s, std::string_view line) {
  nlohmann::json j = {
      {"log", std::string(line)}, {"stream", stream_name(s)}, {"time", rfc3339nano(realtime_ns())}};
  // Invalid UTF-8 (binary output) is replaced, not a reason to lose the line.
  const std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (size_ > 0 && size_ + text.size() > max_bytes_) {
    const std::string path = dir_ + "/log.json";
    if (::rename(path.c_str(), (path + ".1").c_str()) == 0) {
      fd_ = open_log(path);
      size_ = 0;
    }
  }
  if (fd_.valid() && ::write(fd_.get(), text.data(), text.size()) > 0) size_ += text.size();
}

Entry parse(const std::string& line) {
  Entry e;
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (!j.is_object()) return e;
  auto log = j.find("log"), stream = j.find("stream");
  if (log == j.end() || !log->is_string() || stream == j.end() || !stream->is_string()) return e;
  e.text = log->get<std::string>();
  e.stream = stream->get<std::string>() == "stderr" ? Stream::Stderr : Stream::Stdout;
  e.ok = true;
  return e;
}

void read(const std::string& dir, long tail, bool follow, const std::function<bool()>& running,
          const std::function<void(const Entry&)>& out) {
  const std::string path = dir + "/log.json";
  std::deque<Entry> kept;  // the last `tail` entries of the files as they are now
  auto keep = [&](const std::string& line) {
    Entry e = parse(line);
    if (!e.ok) return;
    kept.push_back(std::move(e));
    if (tail >= 0 && kept.size() > static_cast<size_t>(tail)) kept.pop_front();
  };
  UniqueFd cur(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  {
    UniqueFd old(::open((path + ".1").c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (old.valid()) read_lines(old.get(), keep);
  }
  if (cur.valid()) read_lines(cur.get(), keep);
  for (const auto& e : kept) out(e);
  if (!follow) return;

  auto emit = [&](const std::string& line) {
    Entry e = parse(line);
    if (e.ok) out(e);
  };
  for (;;) {
    const bool last = !running();  // one more pass after the container is gone: its last words
    if (cur.valid()) read_lines(cur.get(), emit);
    struct stat now, mine;
    if (::stat(path.c_str(), &now) == 0 &&
        (!cur.valid() || (::fstat(cur.get(), &mine) == 0 && mine.st_ino != now.st_ino))) {
      if (cur.valid()) read_lines(cur.get(), emit);  // the rest of the rotated file
      cur.reset(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (cur.valid()) read_lines(cur.get(), emit);
    }
    if (last) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace policy::container::log
