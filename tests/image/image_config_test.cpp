// Image config parsing (what the launch uses when the policy does not override it).
#include "compiler/common/error.hpp"
#include "image_test_util.hpp"

using policy::image::parse_image_config;

TEST(ImageConfig, ReadsTheRuntimeFields) {
  auto c = parse_image_config(R"({
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/bin", "A=b=c"], "Entrypoint": ["/docker-entrypoint.sh"],
               "Cmd": ["nginx", "-g", "daemon off;"], "WorkingDir": "/srv", "User": "101:101"},
    "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) CMD"]},
    "rootfs": {"type": "layers", "diff_ids": []}})",
                              "cfg.json");
  EXPECT_EQ(c.env, (std::vector<std::string>{"PATH=/usr/bin", "A=b=c"}));
  EXPECT_EQ(c.entrypoint, std::vector<std::string>{"/docker-entrypoint.sh"});
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(c.working_dir, "/srv");
  EXPECT_EQ(c.user, "101:101");
}

TEST(ImageConfig, NullsAndMissingFieldsAreEmpty) {
  auto c = parse_image_config(R"({"config": {"Entrypoint": null, "Cmd": null, "Env": null}})", "x");
  EXPECT_TRUE(c.entrypoint.empty());
  EXPECT_TRUE(c.cmd.empty());
  EXPECT_TRUE(c.env.empty());
  EXPECT_EQ(c.working_dir, "");
  auto d = parse_image_config(R"({"architecture": "amd64"})", "x");
  EXPECT_TRUE(d.cmd.empty());
  // The build container's config is not how the image runs.
  auto e = parse_image_config(R"({"container_config": {"Cmd": ["/bin/sh"]}})", "x");
  EXPECT_TRUE(e.cmd.empty());
}

TEST(ImageConfig, WrongTypesAreErrorsNamingTheFile) {
  EXPECT_IMAGE_ERROR(
      parse_image_config(R"({"config": {"Cmd": "/bin/sh"}})", "img: config sha256:ab"),
      "img: config sha256:ab: config.Cmd must be a list of strings");
  EXPECT_IMAGE_ERROR(parse_image_config(R"({"config": {"Env": [1]}})", "c"), "config.Env");
  EXPECT_IMAGE_ERROR(parse_image_config(R"({"config": {"User": 0}})", "c"),
                     "config.User must be a string");
  EXPECT_IMAGE_ERROR(parse_image_config("[1,2]", "c"), "c: image config is not a JSON object");
  EXPECT_IMAGE_ERROR(parse_image_config("{not json", "c"), "not a JSON object");
}
