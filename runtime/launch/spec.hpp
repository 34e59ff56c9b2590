// The container spec: what `docker run` assembles from the image's config and the command line
// (the command, its environment, working directory and user) before the launch applies the
// policy. One function, so that policyrun and every later caller (exec, the OCI commands) build
// the same container from the same inputs (docs/cli-policyrun.md "The command").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"
#include "runtime/image/image.hpp"

namespace policy::launch {

// The PATH of a container whose image and command line set none (Docker's default); also where
// the launch looks a command up when the environment it is given has no PATH.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// What the user gave on the command line (`docker run`'s options of the same names).
struct CliOverrides {
  std::optional<std::string> entrypoint;  // --entrypoint: replaces Entrypoint, drops Cmd ("": none)
  std::vector<std::string> command;       // everything after IMAGE: replaces Cmd
  std::vector<std::string> env;           // -e K=V (or K: an empty value), in the order given
  std::string workdir;                    // -w; empty: not given
  std::string user;                       // -u; empty: not given
};

struct ContainerSpec {
  std::vector<std::string> argv;  // Entrypoint + Cmd, as overridden
  std::vector<std::string> env;   // "K=V": the image's Env, then -e (a key given again replaces)
  std::string cwd;                // -w, else the policy's cwd, else WorkingDir, else "/"
  std::string user;               // -u, else the image's User (resolved in the container's root)
};

// `process`: the policy's process section (its cwd is used when -w is not given; its env, uid
// and gid are applied later by the launch, over this spec).
ContainerSpec make_spec(const image::ImageConfig& image, const CliOverrides& cli,
                        const ir::ProcessPlan& process);

}  // namespace policy::launch
