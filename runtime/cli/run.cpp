// `policyrun run` (and its short form, `policyrun --policy P IMAGE CMD...`): run a container image
// under a compiled policy, like `docker run`, with every layer of the policy enforced by the
// kernel. Options come before IMAGE; everything after IMAGE is the command
// (docs/cli-policyrun.md).
#include <boost/program_options.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <utility>

#include "compiler/common/error.hpp"
#include "compiler/driver/driver.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/docker_flags.hpp"
#include "runtime/cli/network_options.hpp"
#include "runtime/common/host.hpp"
#include "runtime/container/store.hpp"
#include "runtime/container/supervisor.hpp"
#include "runtime/image/image.hpp"
#include "runtime/launch/denials.hpp"
#include "runtime/launch/launch.hpp"
#include "runtime/launch/policy_cache.hpp"
#include "runtime/launch/spec.hpp"
#include "runtime/learn/learn.hpp"

namespace po = boost::program_options;
using policy::launch::kExitRuntimeError;

namespace {

struct Args {
  std::vector<std::string> options;  // argv[1..] up to IMAGE
  std::string image;
  std::vector<std::string> command;
};

// Options that take a value in the next argument when not written as --opt=value.
bool takes_value(const std::string& a) {
  static const char* const with_value[] = {"--policy",
                                           "--root",
                                           "--apparmor",
                                           "--landlock",
                                           "-e",
                                           "--env",
                                           "-w",
                                           "--workdir",
                                           "-u",
                                           "--user",
                                           "--entrypoint",
                                           "-I",
                                           "--include-dir",
                                           "--seccomp-backend",
                                           "--error-limit",
                                           "--name",
                                           "--image-limit",
                                           "--explain-denials",
                                           "--learn"};
  for (const char* o : with_value)
    if (a == o) return true;
  return policy::cli::network_option_takes_value(a) || policy::cli::docker_flag_takes_value(a);
}

Args split_args(int argc, char** argv) {
  Args a;
  int i = 1;
  for (; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--") {
      ++i;
      break;
    }
    if (s.empty() || s[0] != '-') break;
    policy::cli::refuse_unsupported_docker_flag(s);
    a.options.push_back(s);
    if (takes_value(s) && i + 1 < argc) a.options.push_back(argv[++i]);
  }
  if (i < argc) a.image = argv[i++];
  for (; i < argc; ++i) a.command.push_back(argv[i]);
  return a;
}

const char* kUsage =
    "Usage: policyrun run [-d] [--name NAME] [--rm] --policy FILE.pol [OPTIONS] IMAGE [COMMAND "
    "[ARG...]]\n"
    "       policyrun --policy FILE.pol [OPTIONS] IMAGE [COMMAND [ARG...]]   (run --rm)\n"
    "\n"
    "Runs COMMAND (default: the image's Entrypoint and Cmd) in a container built from IMAGE\n"
    "(docker-save tarball, OCI layout, rootfs tarball or directory), with every layer of the\n"
    "policy enforced: namespaces, cgroup limits, mounts, capabilities, no_new_privs, AppArmor,\n"
    "Landlock and seccomp. Options go before IMAGE; everything after IMAGE is the command.\n";

// Everything the command line says, checked for form.
struct Options {
  std::string image;
  std::string policy_file, policy_name, root = "/var/lib/policyrun";
  std::string learn;  // --learn OUT.pol (docs/learn.md)
  std::string name;   // --name: the run's id (empty: a random one)
  std::vector<std::string> include_dirs, image_limits;
  std::string apparmor = "auto", landlock = "best-effort", backend = "default";
  std::string explain = "text";  // --explain-denials: text | json | json:FILE | off
  std::optional<unsigned> error_limit;
  bool policy_cache = true, tty = false, init = false, quiet = false, verbose = false;
  bool explain_files = false;                // --explain-files
  bool detach = false, auto_remove = false;  // -d, --rm (the short form is always --rm)
  policy::launch::CliOverrides container;    // -e, -w, -u, --entrypoint and the command
  policy::cli::NetworkOptions net;           // --network, --pid, --ipc, --uts, -p
  policy::cli::DockerFlags docker;           // --memory, --cap-drop, -v, ... (docker_flags.hpp)
};

// Fills `o` from argv; returns an exit status when policyrun is done (--help, a usage error).
std::optional<int> parse_arguments(int argc, char** argv, bool short_form, Options& o) {
  Args args = split_args(argc, argv);
  o.image = args.image;
  o.container.command = args.command;
  std::string entrypoint;
  po::options_description desc("Options");
  desc.add_options()("help,h", "show this help")("policy", po::value(&o.policy_file),
                                                 "the policy (.pol) to enforce; required")(
      "policy-name", po::value(&o.policy_name), "which policy of the file (default: the last)")(
      "include-dir,I", po::value(&o.include_dirs), "search directory for `include` (repeatable)")(
      "root", po::value(&o.root),
      "image cache and run state directory (default /var/lib/policyrun)")(
      "tty,t", "allocate a pseudo-terminal from the container's own devpts")(
      "interactive,i", "accepted for docker compatibility: stdin is always passed through")(
      "apparmor", po::value(&o.apparmor), "require | auto | off (default auto)")(
      "landlock", po::value(&o.landlock), "require | best-effort | off (default best-effort)")(
      "env,e", po::value(&o.container.env), "K=V added to the image's environment (repeatable)")(
      "workdir,w", po::value(&o.container.workdir), "working directory inside the container")(
      "user,u", po::value(&o.container.user),
      "UID[:GID] or NAME[:GROUP] from the image (policy wins)")(
      "entrypoint", po::value(&entrypoint), "replace the image's Entrypoint (and its Cmd)")(
      "init", "run a minimal init as PID 1 that forwards signals and reaps zombies")(
      "verbose",
      "also report what each layer enforces on this host: AppArmor's fallback to Landlock, "
      "rules the kernel cannot enforce, Landlock paths missing in the image")(
      "name", po::value(&o.name),
      "the container's name and id: its state directory and cgroup policyrun/NAME ([a-z0-9_-]; "
      "default 12 random hex digits)")(
      "no-policy-cache", "compile the policy afresh, without reading or writing the compile cache")(
      "image-limit", po::value(&o.image_limits),
      "KEY=VALUE[,...]: raise (or lower) a bound on unpacking the image: size, entry-size, "
      "entries, ratio, ratio-floor, path, depth, free, free-inodes (repeatable; docs/images.md)")(
      "seccomp-backend", po::value(&o.backend),
      "default | libseccomp | libseccomp-linear (the filter's code generator)")(
      "error-limit", po::value<unsigned>(),
      "print at most N of the policy's errors (default 20; 0: all)")(
      "explain-denials", po::value(&o.explain),
      "text | json | json:FILE | off: report each refusal of the command once, with the layer "
      "and the policy rule (default text, on stderr; docs/runtime.md \"Explained refusals\")")(
      "quiet,q", "no explanations of refusals (--explain-denials=off)")(
      "explain-files",
      "also explain the file and port refusals of Landlock (each file call then stops in "
      "policyrun: slower; docs/runtime.md \"Explained refusals\")")(
      "learn", po::value(&o.learn),
      "record what the command does under the policy's isolation and write a policy that "
      "extends it to OUT.pol (merged with an earlier learn run there; docs/learn.md)");
  policy::cli::add_network_options(desc, o.net);
  policy::cli::add_docker_flags(desc, o.docker);
  if (!short_form)
    desc.add_options()("detach,d",
                       "run in the background: print the container's id once its command has "
                       "started (docs/containers.md)")(
        "rm", "remove the container when it exits (the short form always does)");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args.options).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "policyrun: error: " << e.what() << "\n" << kUsage;
    return kExitRuntimeError;
  }
  if (vm.count("help")) {
    std::cout << kUsage << "\n" << desc;
    return 0;
  }
  if (o.policy_file.empty() || o.image.empty()) {
    std::cerr << "policyrun: error: "
              << (o.policy_file.empty() ? "--policy FILE is required" : "no IMAGE given") << "\n"
              << kUsage;
    return kExitRuntimeError;
  }
  if (vm.count("entrypoint")) o.container.entrypoint = entrypoint;
  if (!o.docker.env_file.empty()) {  // -e wins over --env-file, as in Docker
    std::vector<std::string> env = policy::cli::read_env_files(o.docker.env_file);
    env.insert(env.end(), o.container.env.begin(), o.container.env.end());
    o.container.env = std::move(env);
  }
  if (vm.count("error-limit")) o.error_limit = vm["error-limit"].as<unsigned>();
  o.policy_cache = !vm.count("no-policy-cache");
  o.tty = vm.count("tty") > 0;
  o.init = vm.count("init") > 0;
  o.quiet = vm.count("quiet") > 0;
  o.verbose = vm.count("verbose") > 0;
  o.explain_files = vm.count("explain-files") > 0;
  o.detach = vm.count("detach") > 0;
  o.auto_remove = short_form || vm.count("rm") > 0;
  if (o.detach && !o.learn.empty()) {
    std::cerr << "policyrun: error: --learn runs in the foreground (it writes its policy when the "
                 "command exits): drop -d\n";
    return kExitRuntimeError;
  }
  return std::nullopt;
}

// The value of `option` among three `choices` (their names, in the order of the message).
template <class Mode>
Mode choose(const std::string& option, const std::string& value,
            const std::pair<const char*, Mode> (&choices)[3]) {
  for (const auto& [name, mode] : choices)
    if (value == name) return mode;
  throw policy::Error(option + " must be " + choices[0].first + ", " + choices[1].first + " or " +
                      choices[2].first + " (got '" + value + "')");
}

// --apparmor and --landlock.
void set_lsm_modes(const Options& o, policy::launch::LaunchRequest& req) {
  using policy::launch::AppArmorMode;
  using policy::launch::LandlockMode;
  req.apparmor = choose<AppArmorMode>("--apparmor", o.apparmor,
                                      {{"require", AppArmorMode::Require},
                                       {"auto", AppArmorMode::Auto},
                                       {"off", AppArmorMode::Off}});
  req.landlock = choose<LandlockMode>("--landlock", o.landlock,
                                      {{"require", LandlockMode::Require},
                                       {"best-effort", LandlockMode::BestEffort},
                                       {"off", LandlockMode::Off}});
}

// --explain-denials and --quiet: the format, and the fd the reports go to (stderr, or FILE).
struct Explain {
  policy::launch::denials::Format format = policy::launch::denials::Format::Off;
  int fd = 2;
};
Explain explain_option(const Options& o) {
  using policy::launch::denials::Format;
  Explain e;
  if (o.quiet || o.explain == "off") return e;
  if (o.explain == "text") {
    e.format = Format::Text;
  } else if (o.explain == "json") {
    e.format = Format::Json;
  } else if (o.explain.rfind("json:", 0) == 0 && o.explain.size() > 5) {
    e.format = Format::Json;
    const std::string file = o.explain.substr(5);
    e.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (e.fd < 0) throw policy::sys_error("--explain-denials: open the JSON file", file);
  } else {
    throw policy::Error("--explain-denials must be text, json, json:FILE or off (got '" +
                        o.explain + "')");
  }
  return e;
}

policy::launch::CompileRequest compile_request(const Options& o) {
  auto seccomp_backend = policy::driver::parse_backend(o.backend);
  if (!seccomp_backend)
    throw policy::Error(
        "--seccomp-backend must be default, libseccomp or libseccomp-linear (got '" + o.backend +
        "')");
  policy::launch::CompileRequest compile;
  compile.reserve_heap_on_miss = true;
  compile.policy_file = o.policy_file;
  compile.load.include_dirs = o.include_dirs;
  for (const auto& d : policy::driver::default_include_dirs())
    compile.load.include_dirs.push_back(d);
  if (!o.policy_name.empty()) compile.load.policy_name = o.policy_name;
  if (o.error_limit) compile.load.error_limit = *o.error_limit;
  compile.seccomp.backend = *seccomp_backend;
  if (o.policy_cache) compile.cache_dir = o.root + "/policy-cache";
  return compile;
}

// The container's record in the store (docs/containers.md): what `ps`, `exec` and `inspect` read.
policy::container::State container_state(const Options& o, const std::string& id,
                                         const policy::launch::LaunchRequest& req) {
  policy::container::State st;
  st.id = id;
  st.name = id;
  st.image = o.image;
  st.command = req.argv;
  st.user = req.user;
  st.cwd = req.cwd;
  st.env = req.env;
  st.policy_file = o.policy_file;
  st.policy_name = req.policy->name;
  st.detached = o.detach;
  st.auto_remove = o.auto_remove;
  // How the LSMs were applied: `exec` applies them the same way (runtime/cli/exec.cpp).
  st.labels["apparmor"] = o.apparmor;
  st.labels["landlock"] = o.landlock;
  // Until a detached supervisor takes over: this policyrun (its death is the container's).
  st.supervisor_pid = ::getpid();
  st.supervisor_starttime = policy::container::starttime(st.supervisor_pid);
  return st;
}

int run(int argc, char** argv, bool short_form) {
  Options o;
  if (auto done = parse_arguments(argc, argv, short_form, o)) return *done;

  // Before any work: the image's limits, and an image or --root the launch could not use.
  policy::image::CacheOptions cache_options{o.root};
  for (const auto& spec : o.image_limits)
    policy::image::parse_image_limits(spec, cache_options.limits);
  policy::image::check_image_ref(o.image, cache_options);
  policy::launch::LaunchRequest req;
  set_lsm_modes(o, req);
  policy::launch::CompileRequest compile = compile_request(o);
  // A learn run refuses nothing: there is nothing to explain (docs/learn.md).
  const Explain explain = o.learn.empty() ? explain_option(o) : Explain{};
  // Landlock's refusals are explained when Landlock is applied (an evaluation of its ruleset).
  int landlock_abi =
      req.landlock == policy::launch::LandlockMode::Off ? 0 : policy::launch::landlock_abi();
  compile.explain_denials = explain.format != policy::launch::denials::Format::Off;
  // Evaluating Landlock needs every file call of the command to stop in policyrun (a round trip
  // each: nginx serves 0.37x the requests), so it is asked for (docs/runtime.md).
  compile.explain_landlock_calls = compile.explain_denials && landlock_abi > 0 && o.explain_files;

  // 1. Compile everything before anything runs, or reuse the identical compile of an earlier
  // run (runtime/launch/policy_cache.hpp).
  policy::launch::reserve_heap(policy::launch::kCachedCompileHeap);
  std::string diagnostics;
  auto compiled = policy::launch::compile_policy(compile, diagnostics);
  std::cerr << diagnostics;
  if (!compiled) return kExitRuntimeError;
  req.policy = &compiled->policy;
  req.seccomp_filter = std::move(compiled->filter);
  // Docker's flags over the compiled policy (the compile cache keeps the policy file's compile).
  const policy::cli::AppliedFlags flags =
      policy::cli::apply_docker_flags(o.docker, o.net.uts, compiled->policy, req, std::cerr);
  if (flags.seccomp_off)
    req.seccomp_filter.clear();
  else if (flags.seccomp_changed)
    req.seccomp_filter = policy::launch::compile_filter(compile, compiled->policy);
  if (req.apparmor == policy::launch::AppArmorMode::Off) o.apparmor = "off";
  if (req.landlock == policy::launch::LandlockMode::Off) {
    o.landlock = "off";
    landlock_abi = 0;
  }
  if (o.verbose)
    for (const auto& line : flags.report)
      std::cerr << "policyrun: from the command line: " << line << "\n";
  std::optional<policy::launch::denials::Explainer> explainer;
  if (compile.explain_denials && policy::launch::denials::notifies(req.seccomp_filter)) {
    explainer.emplace(compiled->policy, landlock_abi, explain.format, explain.fd);
    req.notify = &*explainer;
  }
  std::optional<policy::learn::LearnSession> learn;
  if (!o.learn.empty())
    learn.emplace(policy::learn::LearnOptions{o.learn, o.policy_file, compile.load.include_dirs},
                  compiled->policy);

  // 2. The image: cached, digest-checked layers and its config.
  policy::image::PreparedImage image = policy::image::prepare_image(o.image, cache_options);
  // How the image was unpacked (device nodes skipped, xattrs dropped): nothing to act on, and
  // repeated from the cache on every run, so part of the --verbose report.
  if (o.verbose)
    for (const auto& w : image.warnings) std::cerr << "policyrun: note: " << w << "\n";
  req.lower_dirs = image.layer_dirs;

  // 3. The container, as docker run builds it from the image and the command line.
  policy::launch::ContainerSpec spec =
      policy::launch::make_spec(image.config, o.container, compiled->policy.process);
  req.argv = std::move(spec.argv);
  req.env = std::move(spec.env);
  req.cwd = std::move(spec.cwd);
  req.user = std::move(spec.user);  // resolved in the container's root (launch/user.hpp)
  req.tty = o.tty;
  req.init = o.init;
  req.verbose = o.verbose;
  req.state_root = o.root;
  if (learn) learn->prepare(req, std::cerr);
  req.run_id = o.name.empty() ? policy::runtime::random_hex(6) : o.name;
  auto network =
      policy::cli::apply_network_options(o.net, compiled->policy, o.root, req, std::cerr);

  // 4. The container's record (a name in use is refused here) and the policy it runs under.
  policy::container::Store store(o.root);
  policy::container::State state = container_state(o, req.run_id, req);
  network->record(state);
  for (const auto& f : flags.flags)  // `inspect` shows them (Labels)
    state.labels["overrides"] += (state.labels["overrides"].empty() ? "" : " ") + f;
  store.list();  // containers whose supervisor died: recorded, their runs collected
  store.create(state);
  try {
    store.save_policy(state.id, compiled->policy, req.seccomp_filter);
    // The hash loads libcrypto: the detached run pays it, not every foreground launch (`inspect`
    // and `exec` hash policy.bin themselves when the state has none).
    if (o.detach) {
      state.policy_sha256 = store.policy_sha256(state.id);
      store.save(state);
    }
  } catch (...) {
    store.remove(state.id);
    throw;
  }
  if (o.detach) return policy::container::run_detached(req, store, state);

  // 5. Run it; the exit status is the command's. launch() has removed the run's cgroups and state
  // by the time it returns, so the process ends here without freeing the compiled policy and the
  // image description one object at a time (that took ~1 ms of every launch).
  const int status = policy::container::run_foreground(req, store, state);
  if (learn) learn->finish(std::cerr);
  // A failure may come from a file Landlock refused, which this run did not explain: say how.
  if (status != 0 && explainer && !compile.explain_landlock_calls && landlock_abi > 0 &&
      !compiled->policy.filesystem.rules.empty() && !compiled->policy.filesystem.allow_all_files)
    std::cerr << "policyrun: note: the command exited with status " << status
              << "; a file or port Landlock refused is explained with --explain-files\n";
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(status);
}

}  // namespace

namespace policy::cli {
int run_command(int argc, char** argv, bool short_form) {
  return run(argc, argv, short_form);
}
}  // namespace policy::cli
