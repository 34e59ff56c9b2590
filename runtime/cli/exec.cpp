// `policyrun exec [-i] [-t] [-u USER] [-e K=V]... [-w DIR] [--root DIR] NAME CMD...`: runs CMD in
// the running container NAME, in its namespaces and cgroups, under the policy it runs under (the
// compiled policy kept in its store directory), like `docker exec` (docs/cli-policyrun.md).
#include <boost/program_options.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>

#include "compiler/common/error.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/container/store.hpp"
#include "runtime/launch/confine.hpp"
#include "runtime/launch/denials.hpp"
#include "runtime/launch/exec.hpp"
#include "runtime/launch/launch.hpp"

namespace po = boost::program_options;

namespace policy::cli {
namespace {

const char* kUsage =
    "Usage: policyrun exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND in the running CONTAINER: in all of its namespaces and cgroups, at its root,\n"
    "under the same policy as its first process (rlimits, capabilities, user, no_new_privs,\n"
    "AppArmor label, Landlock, seccomp). Options go before CONTAINER.\n";

struct Options {
  std::string root = "/var/lib/policyrun", name, user, workdir;
  std::vector<std::string> env, command;
  bool interactive = false, tty = false, quiet = false, verbose = false;
};

// Options up to the container's name, then the command (which may have options of its own).
std::optional<int> parse(int argc, char** argv, Options& o) {
  std::vector<std::string> options;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.empty() || a[0] != '-') break;
    options.push_back(a);
    for (const char* v : {"-u", "--user", "-e", "--env", "-w", "--workdir", "--root"})
      if (a == v && i + 1 < argc) options.push_back(argv[++i]);
  }
  if (i < argc) o.name = argv[i++];
  for (; i < argc; ++i) o.command.push_back(argv[i]);
  po::options_description desc("Options");
  desc.add_options()("help,h", "show this help")(
      "interactive,i", "keep stdin open to the command (otherwise it reads /dev/null)")(
      "tty,t", "allocate a pseudo-terminal from the container's own devpts")(
      "user,u", po::value(&o.user),
      "UID[:GID] or NAME[:GROUP] in the container (default: the container's; the policy wins)")(
      "env,e", po::value(&o.env), "K=V added to the container's environment (repeatable)")(
      "workdir,w", po::value(&o.workdir), "working directory (default: the container's)")(
      "root", po::value(&o.root), "policyrun's state directory (default /var/lib/policyrun)")(
      "quiet,q", "no explanations of the command's refusals")(
      "verbose,v", "also report what each layer enforces on this host");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(options).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "policyrun exec: error: " << e.what() << "\n" << kUsage;
    return launch::kExitRuntimeError;
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << desc;
    return 0;
  }
  if (o.name.empty() || o.command.empty()) {
    std::cerr << "policyrun exec: error: "
              << (o.name.empty() ? "no CONTAINER given" : "no COMMAND given") << "\n"
              << kUsage;
    return launch::kExitRuntimeError;
  }
  o.interactive = vm.count("interactive") > 0;
  o.tty = vm.count("tty") > 0;
  o.quiet = vm.count("quiet") > 0;
  o.verbose = vm.count("verbose") > 0;
  return std::nullopt;
}

// -e K=V over the container's environment; -e K takes K from policyrun's own, as Docker does.
std::vector<std::string> environment(const std::vector<std::string>& base,
                                     const std::vector<std::string>& extra) {
  std::map<std::string, std::string> overrides;
  for (const auto& kv : extra) {
    const size_t eq = kv.find('=');
    if (eq == 0) throw Error("-e '" + kv + "': the variable has no name");
    if (eq != std::string::npos) {
      overrides[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (const char* v = std::getenv(kv.c_str())) {
      overrides[kv] = v;
    }
  }
  return launch::confine::merge_env(base, overrides);
}

// The container's launch modes, when its run recorded them (State::labels), else the defaults.
template <class Mode>
Mode mode_label(const container::State& s, const char* key,
                const std::vector<std::pair<const char*, Mode>>& names, Mode fallback) {
  auto it = s.labels.find(key);
  if (it == s.labels.end()) return fallback;
  for (const auto& [name, mode] : names)
    if (it->second == name) return mode;
  return fallback;
}

}  // namespace

int exec_command(int argc, char** argv) {
  Options o;
  if (auto done = parse(argc, argv, o)) return *done;
  container::Store store(o.root);
  const container::State s = store.find(o.name);
  if (s.status != container::Status::Running)
    throw Error("container " + s.name + " is not running (" + container::status_name(s.status) +
                "); policyrun exec needs a running container (policyrun ps -a shows them)");
  runtime::UniqueFd pidfd = container::open_init(s);
  if (!pidfd.valid())
    throw Error("container " + s.name + " is not running (its first process, host pid " +
                std::to_string(s.pid) + ", has exited)");
  if (!s.policy_sha256.empty() && store.policy_sha256(s.id) != s.policy_sha256)
    throw Error(store.dir(s.id) + "/policy.bin: does not match the sha256 recorded when " + s.name +
                " started; refusing to run under a policy that changed");
  container::Store::StoredPolicy stored = store.load_policy(s.id);

  launch::ExecRequest req;
  req.pid = s.pid;
  req.pidfd = pidfd.get();
  req.policy = &stored.policy;
  req.seccomp_filter = std::move(stored.filter);
  req.cgroup_dirs = s.cgroup_dirs;
  req.argv = o.command;
  req.env = environment(s.env, o.env);
  req.cwd = !o.workdir.empty() ? o.workdir : (s.cwd.empty() ? "/" : s.cwd);
  req.user = !o.user.empty() ? o.user : s.user;
  req.tty = o.tty;
  req.verbose = o.verbose;
  using launch::AppArmorMode;
  using launch::LandlockMode;
  req.apparmor = mode_label<AppArmorMode>(s, "apparmor",
                                          {{"require", AppArmorMode::Require},
                                           {"auto", AppArmorMode::Auto},
                                           {"off", AppArmorMode::Off}},
                                          AppArmorMode::Auto);
  req.landlock = mode_label<LandlockMode>(s, "landlock",
                                          {{"require", LandlockMode::Require},
                                           {"best-effort", LandlockMode::BestEffort},
                                           {"off", LandlockMode::Off}},
                                          LandlockMode::BestEffort);
  runtime::UniqueFd null_in;
  if (!o.interactive) {
    null_in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_in.valid()) throw sys_error("open /dev/null for the command's stdin");
    req.stdin_fd = null_in.get();
  }
  // The filter of an explain-mode container answers its refusals through user notification:
  // this policyrun answers the exec'd command's, with the policy's errno (and says why).
  std::optional<launch::denials::Explainer> explainer;
  if (launch::denials::notifies(req.seccomp_filter)) {
    const int abi = req.landlock == LandlockMode::Off ? 0 : launch::landlock_abi();
    explainer.emplace(stored.policy, abi,
                      o.quiet ? launch::denials::Format::Off : launch::denials::Format::Text, 2);
    req.notify = &*explainer;
  }
  const int status = launch::exec_in_container(req);
  std::cout.flush();
  std::cerr.flush();
  return status;
}

}  // namespace policy::cli
