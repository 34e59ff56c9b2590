// make_spec: the container `docker run` would build from an image's config and the command line.
#include "runtime/launch/spec.hpp"

#include <gtest/gtest.h>

using policy::image::ImageConfig;
using policy::ir::ProcessPlan;
using policy::launch::CliOverrides;
using policy::launch::ContainerSpec;
using policy::launch::kDefaultPath;
using policy::launch::make_spec;
using Strings = std::vector<std::string>;

namespace {

ImageConfig nginx_like() {
  ImageConfig c;
  c.entrypoint = {"/docker-entrypoint.sh"};
  c.cmd = {"nginx", "-g", "daemon off;"};
  c.env = {"PATH=/usr/sbin:/bin", "NGINX_VERSION=1.25"};
  c.working_dir = "/srv";
  c.user = "nginx";
  return c;
}

ContainerSpec spec(const ImageConfig& image, const CliOverrides& cli, const ProcessPlan& p = {}) {
  return make_spec(image, cli, p);
}

}  // namespace

// Docker's table (docs "Understand how CMD and ENTRYPOINT interact"), plus --entrypoint.
TEST(ContainerSpec, CommandIsEntrypointThenCmdOrTheArgumentsAfterTheImage) {
  ImageConfig both = nginx_like();
  EXPECT_EQ(spec(both, {}).argv, (Strings{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}));
  EXPECT_EQ(spec(both, {std::nullopt, {"sh"}}).argv, (Strings{"/docker-entrypoint.sh", "sh"}));

  ImageConfig cmd_only;
  cmd_only.cmd = {"/bin/sh"};
  EXPECT_EQ(spec(cmd_only, {}).argv, Strings{"/bin/sh"});
  EXPECT_EQ(spec(cmd_only, {std::nullopt, {"echo", "hi"}}).argv, (Strings{"echo", "hi"}));

  ImageConfig entry_only;
  entry_only.entrypoint = {"/bin/echo", "-n"};
  EXPECT_EQ(spec(entry_only, {}).argv, (Strings{"/bin/echo", "-n"}));
  EXPECT_EQ(spec(entry_only, {std::nullopt, {"x"}}).argv, (Strings{"/bin/echo", "-n", "x"}));

  EXPECT_TRUE(spec(ImageConfig{}, {}).argv.empty());  // nothing to run: launch() refuses it
}

TEST(ContainerSpec, EntrypointOptionReplacesEntrypointAndDropsTheImagesCmd) {
  ImageConfig both = nginx_like();
  EXPECT_EQ(spec(both, {std::string("/bin/id")}).argv, Strings{"/bin/id"});
  EXPECT_EQ(spec(both, {std::string("/bin/id"), {"-u"}}).argv, (Strings{"/bin/id", "-u"}));
  // --entrypoint "": no entrypoint at all; the command is what follows the image.
  EXPECT_TRUE(spec(both, {std::string("")}).argv.empty());
  EXPECT_EQ(spec(both, {std::string(""), {"sh", "-c", "true"}}).argv,
            (Strings{"sh", "-c", "true"}));
}

TEST(ContainerSpec, EnvIsTheImagesThenEachDashEInOrderReplacingItsKey) {
  CliOverrides cli;
  cli.env = {"NGINX_VERSION=2", "FOO=bar", "EMPTY", "FOO=baz"};
  EXPECT_EQ(spec(nginx_like(), cli).env,
            (Strings{"PATH=/usr/sbin:/bin", "NGINX_VERSION=2", "EMPTY=", "FOO=baz"}));
}

TEST(ContainerSpec, PathDefaultsToDockersOnlyWhenNeitherImageNorDashESetsIt) {
  ImageConfig none;
  EXPECT_EQ(spec(none, {}).env, Strings{std::string("PATH=") + kDefaultPath});
  EXPECT_EQ(std::string(kDefaultPath),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  CliOverrides cli;
  cli.env = {"PATH=/opt/bin"};
  EXPECT_EQ(spec(none, cli).env, Strings{"PATH=/opt/bin"});
  EXPECT_EQ(spec(nginx_like(), {}).env, (Strings{"PATH=/usr/sbin:/bin", "NGINX_VERSION=1.25"}));
  // A variable that merely starts with PATH is not PATH.
  ImageConfig pathology;
  pathology.env = {"PATHS=x"};
  EXPECT_EQ(spec(pathology, {}).env, (Strings{"PATHS=x", std::string("PATH=") + kDefaultPath}));
}

TEST(ContainerSpec, WorkdirIsDashWThenThePolicysCwdThenWorkingDirThenRoot) {
  ProcessPlan with_cwd;
  with_cwd.cwd = "/policy";
  CliOverrides w;
  w.workdir = "/cli";
  EXPECT_EQ(spec(nginx_like(), w, with_cwd).cwd, "/cli");
  EXPECT_EQ(spec(nginx_like(), {}, with_cwd).cwd, "/policy");
  EXPECT_EQ(spec(nginx_like(), {}).cwd, "/srv");
  EXPECT_EQ(spec(ImageConfig{}, {}).cwd, "/");
}

TEST(ContainerSpec, UserIsDashUElseTheImagesUser) {
  EXPECT_EQ(spec(nginx_like(), {}).user, "nginx");
  CliOverrides u;
  u.user = "1000:1000";
  EXPECT_EQ(spec(nginx_like(), u).user, "1000:1000");
  EXPECT_EQ(spec(ImageConfig{}, {}).user, "");
}
