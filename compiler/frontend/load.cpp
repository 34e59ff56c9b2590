// load: read the policy file and its includes (each once, cycles are errors), collect groups and
// policies, pick the policy to compile, and hand it to resolve.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "compiler/frontend/frontend.hpp"
#include "compiler/frontend/parse.hpp"
#include "compiler/frontend/resolve.hpp"

namespace policy::frontend {

namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || name.rfind('/', 0) == 0) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Identity of a file for "read once" and cycle detection.
std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (realpath(path.c_str(), buf)) return buf;
  return path;
}

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Reads a policy file whole. Only a regular file of at most kMaxPolicyFileSize bytes is read (a
// FIFO or device could block or never end); every failure, including one in the middle of the
// read (e.g. /proc/self/mem), is reported in `error` with the call and errno.
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  // O_NONBLOCK: a FIFO swapped in after the caller's stat must not block the open.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    error = std::string("open: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  std::string out;
  bool ok = ::fstat(fd, &st) == 0;
  if (!ok) {
    error = std::string("fstat: ") + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    error = std::string("it is ") + file_kind(st.st_mode) + ", not a regular file";
    ok = false;
  } else if (static_cast<uint64_t>(st.st_size) > kMaxPolicyFileSize) {
    error = "it is " + std::to_string(st.st_size) + " bytes, more than the " +
            std::to_string(kMaxPolicyFileSize >> 20) + " MiB a policy file may have";
    ok = false;
  }
  char buf[65536];
  while (ok) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("read: ") + std::strerror(errno);
      ok = false;
    } else if (n == 0) {
      break;
    } else if (out.size() + static_cast<size_t>(n) > kMaxPolicyFileSize) {
      // A file in /proc or /sys reports no size and may grow while it is read.
      error = "it has more than the " + std::to_string(kMaxPolicyFileSize >> 20) +
              " MiB a policy file may have";
      ok = false;
    } else {
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (!ok) return std::nullopt;
  return out;
}

class Loader {
 public:
  Loader(const LoadOptions& o, DiagnosticEngine& d) : options_(o), diags_(d) {}

  std::optional<ir::Policy> run(const std::string& name, const std::string& text) {
    const ast::File* main = load(name, canonical(name), text);
    if (!main || diags_.has_errors()) return std::nullopt;
    register_names();
    if (diags_.has_errors()) return std::nullopt;
    GroupExpansions groups;
    check_groups(program_, diags_, &groups);
    if (diags_.has_errors()) return std::nullopt;
    const ast::Policy* selected = nullptr;
    if (options_.policy_name) {
      auto it = program_.policies.find(*options_.policy_name);
      if (it == program_.policies.end()) {
        std::vector<std::string> all;
        for (auto& [n, _] : program_.policies) all.push_back(n);
        diags_.error(SourceLoc{name, 0, 0}, unknown_message("policy", *options_.policy_name, all));
        return std::nullopt;
      }
      selected = it->second;
    } else if (!main->policies.empty()) {
      selected = &main->policies.back();
    } else {
      diags_.error(SourceLoc{name, 0, 0},
                   "no policy in this file: add 'policy NAME { ... }' or choose one by name");
      return std::nullopt;
    }
    return resolve_policy(program_, *selected, options_, diags_, &groups);
  }

 private:
  const LoadOptions& options_;
  DiagnosticEngine& diags_;
  Program program_;
  std::set<std::string> done_;
  std::vector<std::pair<std::string, std::string>> stack_;  // (canonical, display name)

  const ast::File* load(const std::string& name, const std::string& id, const std::string& text) {
    stack_.push_back({id, name});
    auto file = parse_policy_text(name, text, diags_);
    if (!file) {
      stack_.pop_back();
      return nullptr;
    }
    auto owned = std::make_unique<ast::File>(std::move(*file));
    for (const ast::Include& inc : owned->includes) include(name, inc);
    stack_.pop_back();
    done_.insert(id);
    program_.files.push_back(std::move(owned));
    return program_.files.back().get();
  }

  void include(const std::string& from, const ast::Include& inc) {
    const std::string& want = inc.file.text;
    std::vector<std::string> tried;
    std::string found;
    std::vector<std::string> dirs;
    if (want.rfind('/', 0) == 0) {
      dirs.push_back("");
    } else {
      dirs.push_back(dir_of(from));
      for (const std::string& d : options_.include_dirs) dirs.push_back(d);
    }
    for (const std::string& d : dirs) {
      std::string candidate = join(d, want);
      tried.push_back(d.empty() ? "." : d);
      struct stat st {};
      if (::stat(candidate.c_str(), &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
          diags_.error(inc.file.loc, "cannot include '" + candidate + "': it is " +
                                         file_kind(st.st_mode) +
                                         "; an include names a regular policy file");
          return;
        }
        found = candidate;
        break;
      }
      if (options_.probes) options_.probes->push_back({candidate, false, {}});
    }
    if (found.empty()) {
      std::string list;
      for (auto& t : tried) list += (list.empty() ? "" : ", ") + t;
      diags_.error(inc.file.loc, "cannot find included file '" + want + "' (searched: " + list +
                                     "); add its directory with -I or POLICY_PATH");
      return;
    }
    std::string id = canonical(found);
    for (size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i].first != id) continue;
      std::string chain;
      for (size_t j = i; j < stack_.size(); ++j) chain += stack_[j].second + " -> ";
      diags_.error(inc.file.loc, "include cycle: " + chain + found);
      return;
    }
    if (done_.count(id)) return;
    if (stack_.size() >= kMaxIncludeDepth) {
      diags_.error(inc.file.loc, "includes nested deeper than " + std::to_string(kMaxIncludeDepth) +
                                     " files; include the files from fewer levels");
      return;
    }
    std::string err;
    auto text = read_file(found, err);
    if (!text) {
      diags_.error(inc.file.loc, "cannot read included file '" + found + "': " + err);
      return;
    }
    if (options_.probes) options_.probes->push_back({found, true, *text});
    load(found, id, *text);
  }

  void register_names() {
    std::map<std::string, const ast::Policy*>& policies = program_.policies;
    std::map<std::string, const ast::Group*>& groups = program_.groups;
    for (const auto& f : program_.files) {
      for (const ast::Group& g : f->groups) {
        auto [it, fresh] = groups.emplace(g.name.text, &g);
        if (!fresh)
          diags_.error(
              g.name.loc, "redefinition of group '@" + g.name.text + "'",
              {DiagnosticEngine::note(it->second->name.loc, "previous definition is here")});
      }
      for (const ast::Policy& p : f->policies) {
        auto [it, fresh] = policies.emplace(p.name.text, &p);
        if (!fresh)
          diags_.error(
              p.name.loc, "redefinition of policy '" + p.name.text + "'",
              {DiagnosticEngine::note(it->second->name.loc, "previous definition is here")});
      }
    }
  }
};

}  // namespace

std::optional<ir::Policy> load_policy_text(const std::string& file_name, const std::string& text,
                                           const LoadOptions& options, DiagnosticEngine& diags) {
  diags.set_error_limit(options.error_limit);
  Loader loader(options, diags);
  auto out = loader.run(file_name, text);
  if (diags.has_errors()) return std::nullopt;
  return out;
}

std::optional<ir::Policy> load_policy_file(const std::string& path, const LoadOptions& options,
                                           DiagnosticEngine& diags) {
  diags.set_error_limit(options.error_limit);
  std::string err;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    diags.error(SourceLoc{path, 0, 0}, "cannot read policy file '" + path +
                                           "': " + std::strerror(errno) + "; check the path");
    return std::nullopt;
  }
  auto text = read_file(path, err);
  if (!text) {
    diags.error(SourceLoc{path, 0, 0}, "cannot read policy file '" + path + "': " + err);
    return std::nullopt;
  }
  if (options.probes) options.probes->push_back({path, true, *text});
  return load_policy_text(path, *text, options, diags);
}

}  // namespace policy::frontend
