// `policyrun --learn OUT.pol --policy BASE.pol IMAGE CMD...` (docs/learn.md): the run gets every
// layer of BASE but its seccomp filter and its Landlock and AppArmor file rules; a filter that
// sends every call to policyrun takes the seccomp layer's place, and each call is recorded and let
// run. Afterwards the learned policy (`policy NAME extends BASE`) is written to OUT.pol, merged
// with what an earlier learn run wrote there.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/learn/observations.hpp"

namespace policy::learn {

class Recorder;

struct LearnOptions {
  std::string out_file;                   // OUT.pol
  std::string base_file;                  // BASE.pol (as given to --policy)
  std::vector<std::string> include_dirs;  // where BASE's includes were looked up
};

class LearnSession {
 public:
  // Checks OUT before anything runs: its directory must exist, and an existing OUT must be a
  // learned policy (its learn-data lines are merged); throws policy::Error otherwise.
  LearnSession(LearnOptions options, const ir::Policy& base);
  ~LearnSession();

  // Turns `request` into a learn run: the recording filter and handler replace BASE's seccomp
  // filter, and Landlock and AppArmor are off. Says so on `err`.
  void prepare(launch::LaunchRequest& request, std::ostream& err);

  // Writes OUT (merged with its earlier runs) and the summary on `err`. Throws policy::Error when
  // the written policy does not compile (it is then left in OUT.rejected for a look).
  void finish(std::ostream& err);

 private:
  LearnOptions options_;
  const ir::Policy& base_;
  Observations earlier_;
  std::unique_ptr<Recorder> recorder_;
};

}  // namespace policy::learn
