#include "runtime/learn/paths.hpp"

#include <algorithm>
#include <set>

namespace policy::learn {

namespace {

// The system's shared-library directories (the dynamic loader's default search paths and the
// multiarch trees under them): what a program maps is decided by its libraries, not by it.
constexpr const char* kLibraryTops[] = {"/lib",       "/lib32",      "/lib64",
                                        "/libx32",    "/usr/lib",    "/usr/lib32",
                                        "/usr/lib64", "/usr/libx32", "/usr/local/lib"};
constexpr const char* kTempDirs[] = {"/tmp", "/var/tmp", "/run", "/dev/shm"};
constexpr const char* kNeverCollapsed[] = {"/proc", "/sys", "/dev"};

bool under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

std::string parent_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

size_t depth(const std::string& dir) {
  return dir == "/" ? 0 : static_cast<size_t>(std::count(dir.begin(), dir.end(), '/'));
}

bool never_collapsed(const std::string& path) {
  for (const char* d : kNeverCollapsed)
    if (path == d || under(path, d)) return true;
  return false;
}

bool is_temp_dir(const std::string& dir) {
  for (const char* d : kTempDirs)
    if (dir == d) return true;
  return false;
}

// What the language reads as one plain path: no glob or variable characters, no separators.
bool plain_path(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  for (char c : p)
    if (static_cast<unsigned char>(c) <= ' ' ||
        std::string_view(",;#\"\\*?[]{}^@").find(c) != std::string_view::npos)
      return false;
  return true;
}

}  // namespace

std::string access_words(uint32_t use) {
  std::string out;
  auto add = [&](bool on, const char* w) {
    if (on) out += (out.empty() ? "" : "+") + std::string(w);
  };
  add(use & kRead, "read");
  add(use & (kWrite | kCreate), "write");
  add(use & kExec, "exec");
  add(use & kMap, "map");
  return out;
}

std::vector<LearnedPath> learned_paths(const std::map<std::string, FileSeen>& files,
                                       std::vector<std::string>* skipped) {
  // Distinct entries directly under each directory that lead to a seen file.
  std::map<std::string, std::set<std::string>> children;
  for (const auto& [path, f] : files) {
    if (!plain_path(path)) continue;
    for (std::string p = path; p != "/";) {
      std::string dir = parent_of(p);
      children[dir].insert(p);
      p = dir;
    }
  }
  auto pattern_of = [&](const std::string& path, const FileSeen& f) -> std::string {
    if (never_collapsed(path)) return path;
    for (const char* top : kLibraryTops)
      if (under(path, top) && !(f.use & (kWrite | kCreate))) return std::string(top) + "/**";
    // Rule 2: the shallowest ancestor two or more levels deep with enough entries.
    std::vector<std::string> ancestors;
    for (std::string d = parent_of(path); d != "/"; d = parent_of(d)) ancestors.push_back(d);
    for (auto it = ancestors.rbegin(); it != ancestors.rend(); ++it)
      if (depth(*it) >= 2 && children[*it].size() >= kCollapseAt) return *it + "/**";
    // Rule 3: a created file.
    std::string dir = parent_of(path);
    if ((f.use & kCreate) && (depth(dir) >= 2 || is_temp_dir(dir))) return dir + "/**";
    return path;
  };
  std::map<std::string, LearnedPath> out;
  for (const auto& [path, f] : files) {
    if (!plain_path(path)) {
      if (skipped) skipped->push_back(path);
      continue;
    }
    std::string pattern = pattern_of(path, f);
    LearnedPath& l = out[pattern];
    if (l.files == 0) {
      l.pattern = pattern;
      l.example = path;
      l.first = f.first;
    }
    l.use |= f.use;
    ++l.files;
    l.count += f.count;
  }
  // A glob covers the exact paths and narrower globs beneath it: merge those into it.
  std::vector<LearnedPath> result;
  for (auto& [pattern, l] : out) {
    bool covered = false;
    for (auto& [other, o] : out) {
      if (other == pattern || other.size() < 3 || other.compare(other.size() - 3, 3, "/**") != 0)
        continue;
      std::string dir = other.substr(0, other.size() - 3);
      std::string self = pattern.size() > 3 && pattern.compare(pattern.size() - 3, 3, "/**") == 0
                             ? pattern.substr(0, pattern.size() - 3)
                             : pattern;
      // Only when it adds no use to the glob (a write under /usr/lib stays its own rule).
      if (under(self, dir) && (l.use & ~o.use) == 0) {
        o.files += l.files;
        o.count += l.count;
        covered = true;
        break;
      }
    }
    if (!covered) result.push_back(l);
  }
  // The merge above may have added to globs already copied: take the final counts.
  for (LearnedPath& r : result) r = out[r.pattern];
  return result;
}

}  // namespace policy::learn
