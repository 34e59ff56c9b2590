// A policy as a git revision has it (`policyc diff HEAD~1:policies/web.pol ...`): the directory
// holding the policy, whole, so that its includes are that revision's too, extracted with
// `git archive` into a temporary directory that is removed when the checkout goes away.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace policy::review {

// {"HEAD~1", "policies/web.pol"} for "HEAD~1:policies/web.pol" when `arg` is not an existing
// file and has a revision before the first ':'; nullopt otherwise (a plain file).
std::optional<std::pair<std::string, std::string>> split_revision(const std::string& arg);

class RevisionCheckout {
 public:
  // `path` is relative to the top of the repository the current directory is in. Throws
  // policy::Error when git cannot give the revision's file (with git's own message on stderr).
  RevisionCheckout(const std::string& revision, const std::string& path);
  ~RevisionCheckout();
  RevisionCheckout(const RevisionCheckout&) = delete;
  RevisionCheckout& operator=(const RevisionCheckout&) = delete;

  // The policy file inside the temporary tree.
  const std::string& file() const { return file_; }
  // A path inside the temporary tree as REV:path (other paths unchanged), for locations.
  std::string display(const std::string& path) const;
  // Every occurrence of the temporary tree in `text` (diagnostics) as REV:.
  std::string display_text(std::string text) const;

 private:
  std::string dir_, file_;
  std::string label_prefix_;  // "REV:DIR/": what the temporary tree stands for
};

}  // namespace policy::review
