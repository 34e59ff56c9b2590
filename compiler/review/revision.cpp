#include "compiler/review/revision.hpp"

#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "compiler/common/error.hpp"

extern char** environ;

namespace fs = std::filesystem;

namespace policy::review {

namespace {

// Runs `argv` (found on PATH) and waits; its exit status, or 128 + signal.
int run(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (err != 0) {
    errno = err;
    throw sys_error("cannot run " + argv[0] + " (install it, e.g. the Debian package " + argv[0] +
                    ")");
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw sys_error("waitpid for " + argv[0]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

std::optional<std::pair<std::string, std::string>> split_revision(const std::string& arg) {
  std::error_code ec;
  if (fs::exists(arg, ec)) return std::nullopt;
  const size_t colon = arg.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == arg.size()) return std::nullopt;
  return std::make_pair(arg.substr(0, colon), arg.substr(colon + 1));
}

RevisionCheckout::RevisionCheckout(const std::string& revision, const std::string& path) {
  const std::string name = revision + ":" + path;
  const fs::path rel = fs::path(path).lexically_normal();
  if (rel.is_absolute() || rel.empty() || *rel.begin() == "..")
    throw Error(name + ": the path after ':' must be relative to the top of the repository");
  const std::string tmp = (fs::temp_directory_path() / "policyc-diff-XXXXXX").string();
  std::vector<char> buf(tmp.begin(), tmp.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw sys_error("cannot create a temporary directory", tmp);
  dir_ = buf.data();
  try {
    const std::string tar = dir_ + "/.revision.tar";
    const std::string parent = rel.parent_path().string();
    // REV:DIR is the tree of that directory (git reads DIR from the top of the repository).
    if (run({"git", "archive", "--format=tar", "--output=" + tar,
             parent.empty() ? revision : revision + ":" + parent}) != 0)
      throw Error(name + ": git archive failed (is '" + revision +
                  "' a revision of the repository policyc runs in, with that directory in it?)");
    if (run({"tar", "-x", "-f", tar, "-C", dir_}) != 0)
      throw Error(name + ": tar could not extract git's archive");
    fs::remove(tar);
    file_ = (fs::path(dir_) / rel.filename()).string();
    label_prefix_ = revision + ":" + (parent.empty() ? "" : parent + "/");
    if (!fs::is_regular_file(file_)) throw Error(name + ": no such file in revision " + revision);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    throw;
  }
}

RevisionCheckout::~RevisionCheckout() {
  std::error_code ec;  // nothing to report from a destructor; a leftover is in /tmp
  fs::remove_all(dir_, ec);
}

std::string RevisionCheckout::display(const std::string& path) const {
  const std::string prefix = dir_ + "/";
  if (path.rfind(prefix, 0) == 0) return label_prefix_ + path.substr(prefix.size());
  return path;
}

std::string RevisionCheckout::display_text(std::string text) const {
  const std::string prefix = dir_ + "/";
  for (size_t at; (at = text.find(prefix)) != std::string::npos;)
    text.replace(at, prefix.size(), label_prefix_);
  return text;
}

}  // namespace policy::review
