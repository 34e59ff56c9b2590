// Docker's `docker run` flags over a compiled policy (policyrun run --memory 64m --cap-drop NET_RAW
// -v /srv:/data:ro ...): parsed in Docker's spelling and applied to the ir::Policy after the
// compile and before the launch. What a flag sets that has a location of its own (the capability
// sets, a mount, an rlimit, a file rule) gets SourceLoc::command_line("FLAG"), so every report
// names the flag instead of a policy line; each flag that widens the policy is said in one line
// (docs/cli-policyrun.md "Docker's flags").
#pragma once

#include <boost/program_options.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "compiler/ir/policy.hpp"
#include "runtime/launch/launch.hpp"

namespace policy::cli {

struct DockerFlags {
  std::string memory, memory_swap, cpus, cpu_shares, pids_limit, hostname;
  std::vector<std::string> cap_add, cap_drop, security_opt, tmpfs, volume, mount, ulimit, env_file;
  bool read_only = false, privileged = false;
};

void add_docker_flags(boost::program_options::options_description& desc, DockerFlags& f);
// Whether `arg` is one of these flags written without `=` (its value is the next argument).
bool docker_flag_takes_value(const std::string& arg);

// Throws policy::Error when `option` (an argument before IMAGE that is not an option's value) is a
// `docker run` flag policyrun does not take (--device, --sysctl, ...), saying what to write in the
// policy instead or that nothing is equivalent.
void refuse_unsupported_docker_flag(const std::string& option);

// The variables of --env-file FILE... in Docker's format (K=V lines, K alone: the host's value
// when it has one, # comments), as "K=V", in order. Throws policy::Error naming FILE:LINE.
std::vector<std::string> read_env_files(const std::vector<std::string>& files);

// What applying the flags changed besides the policy itself.
struct AppliedFlags {
  std::vector<std::string> report;  // one line per flag: what it set (for --verbose)
  std::vector<std::string> flags;   // the flags as given, for the container's record
  bool seccomp_changed = false;     // compile the filter again (policy.seccomp or capabilities)
  bool seccomp_off = false;         // no filter at all (seccomp=unconfined, --privileged)
};

// Applies `f` over `policy` (and the LSM modes of `req`); every flag that widens the policy is said
// in one line on `log`, naming the rule it overrides. `uts` is the --uts flag's value: a
// --hostname needs a UTS namespace of the container's own. Throws policy::Error for a bad value.
AppliedFlags apply_docker_flags(const DockerFlags& f, const std::string& uts, ir::Policy& policy,
                                launch::LaunchRequest& req, std::ostream& log);

}  // namespace policy::cli
