// A normal policyrun run prints only what the user must act on: under each shipped policy
// (policies/*.pol), a trivial command on the busybox image adds nothing to stderr besides the
// policy's own compile warnings (which the shipped policies must not have: tests/caps); the
// enforcement report (AppArmor's fallback to Landlock, skipped Landlock rules) needs --verbose.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "compiler/driver/driver.hpp"
#include "launch/launch_fixture.hpp"
#include "runtime/launch/apparmor.hpp"
#include "runtime/launch/landlock.hpp"
#include "runtime/launch/policy_cache.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> shipped_policies() {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(std::string(src ? src : ".") + "/policies"))
    if (e.path().extension() == ".pol") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// The policy compiled as policyrun compiles it: the IR and the diagnostics text it prints.
struct Compiled {
  policy::ir::Policy policy;
  std::string diagnostics;
};
Compiled compile(const std::string& file) {
  policy::launch::CompileRequest req;
  req.policy_file = file;
  req.load.include_dirs = policy::driver::default_include_dirs();
  Compiled c;
  auto compiled = policy::launch::compile_policy(req, c.diagnostics);
  if (compiled) c.policy = std::move(compiled->policy);
  return c;
}

// Where the command must sit for the policy to let it run: the first path it allows to execute
// (a glob's wildcards filled in), or /bin/denial_probe when it confines no exec.
std::string command_path(const policy::ir::Policy& p) {
  for (const auto& r : p.filesystem.rules) {
    if (r.deny || !(r.access & policy::ir::kExec)) continue;
    if (r.pattern.find_first_of("[{@?") != std::string::npos) continue;
    std::string path = r.pattern;
    for (size_t i = path.find('*'); i != std::string::npos; i = path.find('*'))
      path.replace(i, path.compare(i, 2, "**") == 0 ? 2 : 1, "probe");
    return path;
  }
  return "/bin/denial_probe";
}

// A busybox image with the probe at `path` (made once per policy).
std::string image_with_probe_at(const std::string& name, const std::string& path) {
  static std::map<std::string, std::string> made;
  auto [it, fresh] = made.try_emplace(name);
  if (!fresh) return it->second;
  it->second = launch_test::busybox_copy("quiet-" + name);
  // The system users Debian's server packages create, which the shipped policies name (`user
  // redis`, `uid=postgres`) and policyrun looks up in the image.
  std::ofstream(it->second + "/etc/passwd", std::ios::app)
      << "www-data:x:33:33::/var/www:/bin/false\nredis:x:100:101::/var/lib/redis:/bin/false\n"
         "postgres:x:102:103::/var/lib/postgresql:/bin/false\n";
  std::ofstream(it->second + "/etc/group", std::ios::app)
      << "www-data:x:33:\nredis:x:101:\npostgres:x:103:\n";
  const fs::path to = it->second + path;
  fs::create_directories(to.parent_path());
  fs::copy_file(POLICY_TEST_DENIAL_PROBE, to, fs::copy_options::overwrite_existing);
  return it->second;
}

struct QuietRun {
  launch_test::CliResult result;
  std::string compile_diagnostics;
};
QuietRun run_under(const std::string& policy_file, const std::vector<std::string>& options) {
  Compiled c = compile(policy_file);
  const std::string name = fs::path(policy_file).stem().string();
  const std::string path = command_path(c.policy);
  std::vector<std::string> args = {"--policy", policy_file, "--root",
                                   launch_test::scratch() + "/quiet-state", "--no-policy-cache"};
  args.insert(args.end(), options.begin(), options.end());
  args.insert(args.end(), {image_with_probe_at(name, path), path, "nnp"});
  return {launch_test::run_policyrun(args), c.diagnostics};
}

}  // namespace

TEST(PolicyrunQuiet, ShippedPoliciesAddNothingToStderr) {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  const auto files = shipped_policies();
  ASSERT_GE(files.size(), 4u);  // docker-default, web, redis, postgres
  for (const auto& file : files) {
    SCOPED_TRACE(file);
    const QuietRun r = run_under(file, {});
    EXPECT_EQ(r.result.status, 0) << r.result.out << r.result.err;
    EXPECT_EQ(r.result.out.rfind("nnp=", 0), 0u) << r.result.out << r.result.err;
    // A shipped policy never warns about itself, at compile time or at run time.
    EXPECT_EQ(r.compile_diagnostics, "");
    EXPECT_EQ(r.result.err, "");
  }
}

TEST(PolicyrunQuiet, VerboseShowsTheEnforcementReport) {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  if (policy::launch::landlock_abi() == 0)
    GTEST_SKIP() << "this kernel has no Landlock: web.pol's paths are not reported as skipped";
  // web.pol names paths the busybox image does not have (/etc/nginx, /var/log/nginx): Landlock
  // skips their rules, which --verbose says and a normal run does not.
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  const std::string web = std::string(src ? src : ".") + "/policies/web.pol";
  {  // `-v` is Docker's --volume (runtime/cli/docker_flags.hpp)
    const QuietRun r = run_under(web, {"--verbose"});
    EXPECT_EQ(r.result.status, 0) << r.result.out << r.result.err;
    EXPECT_NE(r.result.err.find("policyrun: note: Landlock skips"), std::string::npos)
        << r.result.err;
    if (!policy::launch::kernel_has_apparmor()) {  // auto: what Landlock enforces instead
      EXPECT_NE(r.result.err.find("policyrun: Landlock (ABI"), std::string::npos) << r.result.err;
    }
  }
  const QuietRun quiet = run_under(web, {});
  EXPECT_EQ(quiet.result.err.find("Landlock skips"), std::string::npos) << quiet.result.err;
}

TEST(PolicyrunQuiet, ImageUnpackNotesOnlyWithVerbose) {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  // A rootfs tarball with a device node, as every `docker export` and mmdebstrap image has: the
  // unpacker skips it (the runtime builds its own /dev), which is nothing for the user to do.
  const std::string dir = launch_test::busybox_copy("quiet-devnode");
  const std::string tar = launch_test::scratch() + "/quiet-devnode.tar";
  ASSERT_EQ(std::system(("mknod " + launch_test::shell_quote(dir + "/dev/quiet-null") +
                         " c 1 3 && tar -C " + launch_test::shell_quote(dir) + " -cf " +
                         launch_test::shell_quote(tar) + " .")
                            .c_str()),
            0);
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  const std::string policy = std::string(src ? src : ".") + "/policies/docker-default.pol";
  const Compiled c = compile(policy);
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--policy", policy, "--root",
                                     launch_test::scratch() + "/quiet-devnode-state"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {tar, "true"});
    return launch_test::run_policyrun(args);
  };
  const auto quiet = run({});
  EXPECT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.err, c.diagnostics);
  const auto verbose = run({"--verbose"});
  EXPECT_EQ(verbose.status, 0) << verbose.err;
  EXPECT_NE(verbose.err.find("skipped 1 device node"), std::string::npos) << verbose.err;
}
