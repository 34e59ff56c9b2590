#include "runtime/image/limits.hpp"

#include <sys/statvfs.h>

#include <cstdio>
#include <limits>
#include <vector>

#include "runtime/common/text.hpp"

namespace policy::image {

namespace {

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();
// The free space is read again after this much data or this many entries (and before any
// file of at least kBigFile), so the margin holds to within one such step.
constexpr uint64_t kSpaceStepBytes = 64ull << 20;
constexpr uint64_t kSpaceStepEntries = 4096;
constexpr uint64_t kBigFile = 1ull << 20;
constexpr uint64_t kDefaultFreeBytes = 1ull << 30;
constexpr uint64_t kDefaultFreeInodes = 10'000;

std::string human(uint64_t v) {
  static const char* const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (v < 1024) return std::to_string(v) + (v == 1 ? " byte" : " bytes");
  double d = static_cast<double>(v);
  int u = 0;
  while (d >= 1024 && u < 6) {
    d /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", d, units[u]);
  return buf;
}

uint64_t parse_value(const std::string& key, const std::string& text, bool size) {
  auto bad = [&](const std::string& why) -> Error {
    return Error("--image-limit " + key + "=" + text + ": " + why);
  };
  if (text == "unlimited") return kUnlimited;
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0)
    throw bad("not a number (write e.g. " + key + (size ? "=64G" : "=2000000") + ")");
  uint64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (v > (kUnlimited - 9) / 10) throw bad("too large");
    v = v * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  std::string suffix = text.substr(digits);
  if (suffix.empty()) return v;
  if (!size) throw bad("a count takes no unit suffix");
  static const std::string units = "KMGT";
  size_t shift = suffix.size() == 1 ? units.find(static_cast<char>(std::toupper(suffix[0])))
                                    : std::string::npos;
  if (shift == std::string::npos) throw bad("unknown unit '" + suffix + "' (K, M, G or T)");
  int bits = 10 * static_cast<int>(shift + 1);
  if (v > (kUnlimited >> bits)) throw bad("too large");
  return v << bits;
}

}  // namespace

std::string limit_text(uint64_t value, bool size) {
  if (value == kUnlimited) return "unlimited";
  if (size && value != 0) {
    static const char units[] = "KMGT";
    int u = -1;
    while (u < 3 && value % 1024 == 0) {
      value /= 1024;
      ++u;
    }
    if (u >= 0) return std::to_string(value) + units[u];
  }
  return std::to_string(value);
}

void parse_image_limits(const std::string& spec, UnpackLimits& limits) {
  for (const auto& item : runtime::split(spec, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error("--image-limit '" + spec + "': expected KEY=VALUE[,KEY=VALUE...], got '" + item +
                  "'");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    struct Key {
      const char* name;
      bool size;
      uint64_t* max;
      std::optional<uint64_t>* margin;
    };
    const Key keys[] = {{"size", true, &limits.max_bytes, nullptr},
                        {"entry-size", true, &limits.max_entry_bytes, nullptr},
                        {"entries", false, &limits.max_entries, nullptr},
                        {"ratio", false, &limits.max_ratio, nullptr},
                        {"ratio-floor", true, &limits.ratio_floor, nullptr},
                        {"path", false, &limits.max_path, nullptr},
                        {"depth", false, &limits.max_depth, nullptr},
                        {"free", true, nullptr, &limits.min_free_bytes},
                        {"free-inodes", false, nullptr, &limits.min_free_inodes}};
    const Key* k = nullptr;
    std::string known;
    for (const auto& c : keys) {
      if (key == c.name) k = &c;
      known += (known.empty() ? "" : ", ") + std::string(c.name);
    }
    if (!k) throw Error("--image-limit: unknown limit '" + key + "' (known: " + known + ")");
    uint64_t v = parse_value(key, value, k->size);
    if (k->margin) {
      if (v == kUnlimited)
        throw Error("--image-limit " + item + ": a margin cannot be unlimited (0: no margin)");
      *k->margin = v;
    } else {
      if (v == 0 && key != "size" && key != "entry-size" && key != "ratio-floor")
        throw Error("--image-limit " + item + ": must be at least 1");
      *k->max = v;
    }
  }
}

void check_expansion(const UnpackLimits& limits, const std::string& where, uint64_t out,
                     uint64_t in) {
  if (out <= limits.ratio_floor || limits.max_ratio == kUnlimited) return;
  uint64_t r = limits.max_ratio;
  if (out / r + (out % r != 0) <= in) return;  // out <= in * ratio, without overflow
  throw LimitError(where + ": its data expands more than " + std::to_string(limits.max_ratio) +
                   " times (" + human(in) + " read became " + human(out) +
                   "): a decompression bomb; refusing the image (limit ratio=" +
                   limit_text(limits.max_ratio, false) +
                   "; if you trust the image, raise it with --image-limit ratio=N)");
}

UnpackBudget::UnpackBudget(const UnpackLimits& limits, int cache_fd, std::string cache_path)
    : limits_(limits), cache_fd_(cache_fd), cache_path_(std::move(cache_path)) {}

void UnpackBudget::exceeded(const std::string& what, const char* key, uint64_t limit,
                            bool size) const {
  throw LimitError(where_ + ": " + what + "; refusing the image (limit " + key + "=" +
                   limit_text(limit, size) + "; if you trust the image, raise it with " +
                   "--image-limit " + key + "=N)");
}

void UnpackBudget::begin_layer(std::string where) {
  where_ = std::move(where);
  space_checked_ = false;
  check_space("", 0);
}

void UnpackBudget::entry(const std::string& raw_name, const std::string& rel) {
  if (raw_name.size() > limits_.max_path)
    exceeded("an entry name of " + std::to_string(raw_name.size()) + " bytes ('" +
                 raw_name.substr(0, 64) + "...')",
             "path", limits_.max_path, false);
  uint64_t depth = rel.empty() ? 0 : 1;
  for (char c : rel) depth += c == '/';
  if (depth > limits_.max_depth)
    exceeded("entry '" + raw_name.substr(0, 200) + (raw_name.size() > 200 ? "..." : "") + "' is " +
                 std::to_string(depth) + " components deep",
             "depth", limits_.max_depth, false);
  if (++entries_ > limits_.max_entries)
    exceeded("more than " + std::to_string(limits_.max_entries) +
                 " entries in the image (at entry '" + raw_name + "')",
             "entries", limits_.max_entries, false);
}

void UnpackBudget::file_bytes(const std::string& name, uint64_t size) {
  if (size > limits_.max_entry_bytes)
    exceeded("entry '" + name + "' holds " + human(size) + ", more than one file may", "entry-size",
             limits_.max_entry_bytes, true);
  if (size > limits_.max_bytes || bytes_ > limits_.max_bytes - size)
    exceeded("entry '" + name + "' (" + human(size) + ") takes the image's unpacked size past " +
                 human(limits_.max_bytes),
             "size", limits_.max_bytes, true);
  bytes_ += size;
  check_space(name, size);
}

void UnpackBudget::check_space(const std::string& name, uint64_t next) {
  unchecked_bytes_ += next;
  ++unchecked_entries_;
  if (space_checked_ && next < kBigFile && unchecked_bytes_ < kSpaceStepBytes &&
      unchecked_entries_ < kSpaceStepEntries)
    return;
  unchecked_bytes_ = unchecked_entries_ = 0;
  space_checked_ = true;
  struct statvfs vfs;
  if (::fstatvfs(cache_fd_, &vfs) != 0) throw sys_error("statvfs", cache_path_);
  uint64_t unit = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
  uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * unit;
  uint64_t margin =
      limits_.min_free_bytes
          ? *limits_.min_free_bytes
          : std::min(kDefaultFreeBytes, static_cast<uint64_t>(vfs.f_blocks) * unit / 20);
  std::string what = name.empty() ? "the layer" : "entry '" + name + "' (" + human(next) + ")";
  if (avail < margin || avail - margin < next)
    throw LimitError(where_ + ": " + what + " would leave less than " + human(margin) +
                     " free on the file system of the image cache " + cache_path_ + " (" +
                     human(avail) +
                     " free); refusing the image (limit free=" + limit_text(margin, true) +
                     "; free some space, or lower the margin with --image-limit free=N)");
  if (vfs.f_files == 0) return;  // no inode count (btrfs, ...)
  uint64_t inode_margin =
      limits_.min_free_inodes
          ? *limits_.min_free_inodes
          : std::min(kDefaultFreeInodes, static_cast<uint64_t>(vfs.f_files) / 20);
  if (static_cast<uint64_t>(vfs.f_favail) <= inode_margin)
    throw LimitError(where_ + ": the file system of the image cache " + cache_path_ + " has " +
                     std::to_string(vfs.f_favail) + " free inodes, no more than the margin of " +
                     std::to_string(inode_margin) +
                     "; refusing the image (limit free-inodes=" + std::to_string(inode_margin) +
                     "; free some, or lower the margin with --image-limit free-inodes=N)");
}

}  // namespace policy::image
