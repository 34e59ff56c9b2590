#include "runtime/learn/learn.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/common/diagnostics.hpp"
#include "compiler/common/error.hpp"
#include "compiler/frontend/frontend.hpp"
#include "runtime/launch/files.hpp"
#include "runtime/learn/groups.hpp"
#include "runtime/learn/paths.hpp"
#include "runtime/learn/recorder.hpp"
#include "runtime/learn/writer.hpp"

namespace policy::learn {

namespace fs = std::filesystem;

LearnSession::LearnSession(LearnOptions options, const ir::Policy& base)
    : options_(std::move(options)), base_(base), recorder_(std::make_unique<Recorder>(base)) {
  const std::string& out = options_.out_file;
  fs::path dir = fs::absolute(out).parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw Error("--learn " + out + ": the directory " + dir.string() +
                " does not exist; create it or choose another file");
  if (auto text = launch::files::try_read(out)) {
    auto earlier = read_learn_data(*text, out);
    if (!earlier)
      throw Error("--learn " + out +
                  ": the file exists and is not a learned policy (it has no '# learn-data:' "
                  "lines); choose another file, or remove it");
    earlier_ = std::move(*earlier);
  } else if (fs::exists(out, ec)) {
    throw sys_error("--learn: read the earlier learned policy", out);
  }
}

LearnSession::~LearnSession() = default;

void LearnSession::prepare(launch::LaunchRequest& request, std::ostream& err) {
  request.seccomp_filter = notify_everything_filter();
  request.notify = recorder_.get();
  request.landlock = launch::LandlockMode::Off;
  request.apparmor = launch::AppArmorMode::Off;
  err << "policyrun: learn mode: every system call is recorded and allowed; " << base_.name
      << "'s Landlock and AppArmor rules are not applied (files and ports are what is learned); "
         "every other layer of it applies\n";
}

void LearnSession::finish(std::ostream& err) {
  Observations seen = recorder_->observations();
  seen.runs = 1;
  Observations all = earlier_;
  merge(all, seen);

  std::optional<SyscallGroups> groups;
  if (auto dir = find_groups_dir(options_.base_file, options_.include_dirs))
    groups = load_groups(*dir);
  WriterInput in;
  in.seen = &all;
  in.base = &base_;
  in.base_file = options_.base_file;
  in.out_file = options_.out_file;
  in.groups = groups ? &*groups : nullptr;
  const std::string text = write_learned_policy(in);

  // What policyc will say about it: it must compile, and without a warning.
  DiagnosticEngine diags;
  frontend::LoadOptions load;
  load.include_dirs = options_.include_dirs;
  const std::string& out = options_.out_file;
  const bool compiles = frontend::load_policy_text(out, text, load, diags).has_value();
  const std::string target = compiles ? out : out + ".rejected";
  const std::string tmp = target + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text;
    f.close();
    if (!f) throw sys_error("--learn: write the learned policy", tmp);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const Error e = sys_error("--learn: rename the learned policy into place", target);
    ::unlink(tmp.c_str());
    throw e;
  }
  std::ostringstream d;
  diags.print_all(d);
  if (!compiles)
    throw Error("the learned policy does not compile (left in " + target +
                "); this is a bug of learn mode, please report it:\n" + d.str());
  err << d.str();

  size_t syscalls = 0;
  uint64_t calls = 0;
  for (const auto& [arch, names] : seen.syscalls)
    for (const auto& [name, s] : names) ++syscalls, calls += s.count;
  auto n = [](size_t k, const char* one, const char* many) {
    return std::to_string(k) + " " + (k == 1 ? one : many);
  };
  err << "policyrun: learned " << n(syscalls, "syscall", "syscalls") << " ("
      << n(calls, "call", "calls") << "), " << n(seen.files.size(), "file", "files") << ", "
      << n(seen.sockets.size(), "kind of socket", "kinds of socket") << " and "
      << n(seen.ports.size(), "port", "ports") << " from this run";
  if (all.runs > 1) err << " (" << all.runs << " runs merged)";
  err << "; the policy is in " << out << " (policy " << learned_policy_name(out, base_.name)
      << " extends " << base_.name << "): review it, then run with --policy " << out << "\n";
}

}  // namespace policy::learn
