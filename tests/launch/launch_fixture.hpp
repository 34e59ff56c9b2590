// Shared helpers for the launch tests: a busybox rootfs built from busybox-static, Docker-like
// policies built directly as IR, seccomp filters compiled with libseccomp, and a runner that
// captures the container's stdout/stderr.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/launch/launch.hpp"

namespace launch_test {

// A directory tree under /tmp removed at exit of the test binary.
const std::string& scratch();
// The busybox layer (bin/busybox + applet symlinks, empty proc/sys/dev/tmp, etc/passwd).
const std::string& busybox_layer();
// A fresh layer directory (for tests that build hostile images).
std::string new_layer(const std::string& name);
// A fresh layer holding a copy of busybox_layer(), for tests that change one thing in it.
std::string busybox_copy(const std::string& name);
std::string state_root();

// Docker's defaults as IR: namespaces mount,pid,ipc,uts,net,cgroup; Docker's 14 capabilities;
// masked and read-only paths; no_new_privileges.
policy::ir::Policy docker_like_policy();
uint64_t docker_caps();

// libseccomp: allow everything except `denied` syscalls, which return `err`.
std::vector<sock_filter> seccomp_deny(const std::vector<std::string>& denied, int err);
// libseccomp: allow everything except `denied` syscalls, which get `action` (SCMP_ACT_*).
std::vector<sock_filter> seccomp_filter(const std::vector<std::string>& denied, uint32_t action);

struct Result {
  int status = -1;
  std::string out, err, diag;
};

// A request to run `argv` in a container of busybox_layer() under `policy`: PATH=/bin, its state
// under state_root(), every other field as LaunchRequest has it.
policy::launch::LaunchRequest busybox_request(const policy::ir::Policy& policy,
                                              std::vector<std::string> argv);

// Runs `sh -c script` in a container of busybox_layer() (or `layers`) under `policy`.
Result run(const policy::ir::Policy& policy, const std::string& script,
           std::vector<std::string> layers = {}, std::vector<sock_filter> filter = {},
           bool init = false, const std::string& cwd = "/");
// The same, with a fully prepared request (stdout/stderr/diagnostics are captured here).
Result run_request(policy::launch::LaunchRequest req);

// The policyrun binary the CLI tests run: $POLICYRUN, else the one built beside the test binary.
std::string policyrun_binary();
// A file's whole content ("" when it cannot be read).
std::string slurp(const std::string& path);
// `s` quoted for `sh -c`.
std::string shell_quote(const std::string& s);

// What the policyrun binary did: exit status (-1 when killed), stdout, stderr.
struct CliResult {
  int status = -1;
  std::string out, err;
};
// Runs policyrun_binary() with `args` (each quoted), stdin from /dev/null.
CliResult run_policyrun(const std::vector<std::string>& args);

// Host state that must not change after a run.
std::vector<std::string> host_mount_lines_mentioning(const std::string& needle);
std::vector<std::string> policyrun_cgroup_dirs();

}  // namespace launch_test
