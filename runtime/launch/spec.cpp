#include "runtime/launch/spec.hpp"

#include <algorithm>

namespace policy::launch {
namespace {

std::string key_of(const std::string& kv) {
  return kv.substr(0, kv.find('='));
}

std::vector<std::string> command_of(const image::ImageConfig& image, const CliOverrides& cli) {
  std::vector<std::string> argv;
  if (cli.entrypoint) {  // Docker: a new Entrypoint drops the image's Cmd too
    if (!cli.entrypoint->empty()) argv.push_back(*cli.entrypoint);
    argv.insert(argv.end(), cli.command.begin(), cli.command.end());
    return argv;
  }
  argv = image.entrypoint;
  const auto& cmd = cli.command.empty() ? image.cmd : cli.command;
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

std::vector<std::string> environment_of(const image::ImageConfig& image, const CliOverrides& cli) {
  std::vector<std::string> env = image.env;
  for (const auto& kv : cli.env) {
    const std::string key = key_of(kv);
    std::erase_if(env, [&](const std::string& e) { return key_of(e) == key; });
    env.push_back(kv.find('=') == std::string::npos ? kv + "=" : kv);
  }
  if (std::none_of(env.begin(), env.end(),
                   [](const std::string& e) { return e.rfind("PATH=", 0) == 0; }))
    env.push_back(std::string("PATH=") + kDefaultPath);
  return env;
}

}  // namespace

ContainerSpec make_spec(const image::ImageConfig& image, const CliOverrides& cli,
                        const ir::ProcessPlan& process) {
  ContainerSpec spec;
  spec.argv = command_of(image, cli);
  spec.env = environment_of(image, cli);
  spec.cwd = !cli.workdir.empty()         ? cli.workdir
             : process.cwd                ? *process.cwd
             : !image.working_dir.empty() ? image.working_dir
                                          : "/";
  spec.user = cli.user.empty() ? image.user : cli.user;
  return spec;
}

}  // namespace policy::launch
