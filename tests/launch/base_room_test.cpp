// runtime/common: the helpers both runtime folders build on.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "compiler/common/error.hpp"
#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "runtime/common/text.hpp"

namespace fs = std::filesystem;
using policy::runtime::split;
using Strings = std::vector<std::string>;

TEST(BaseRoom, SplitKeepsEveryFieldEmptyOnesIncluded) {
  EXPECT_EQ(split("app:x:1000:1000::/home/app:", ':'),
            (Strings{"app", "x", "1000", "1000", "", "/home/app", ""}));
  EXPECT_EQ(split("/a//b", '/'), (Strings{"", "a", "", "b"}));
  EXPECT_EQ(split("", ','), Strings{""});
}

TEST(BaseRoom, RandomHexHasTwoLowercaseDigitsPerByteAndDiffers) {
  std::string a = policy::runtime::random_hex(6), b = policy::runtime::random_hex(6);
  EXPECT_EQ(a.size(), 12u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_NE(a, b);
}

TEST(BaseRoom, RemoveTreeEmptiesMode0000DirsAndNeverFollowsASymlink) {
  std::string base = launch_test::new_layer("remove-tree");
  std::string keep = base + "/outside";
  fs::create_directories(keep);
  std::ofstream(keep + "/precious") << "x";
  std::string tree = base + "/tree";
  fs::create_directories(tree + "/locked/deep");
  std::ofstream(tree + "/locked/deep/f") << "y";
  fs::create_directory_symlink(keep, tree + "/link-out");
  ASSERT_EQ(::chmod((tree + "/locked").c_str(), 0), 0);
  policy::runtime::remove_tree(tree);
  EXPECT_FALSE(fs::exists(fs::symlink_status(tree)));
  EXPECT_TRUE(fs::exists(keep + "/precious")) << "removal followed a symlink out of the tree";
  policy::runtime::remove_tree(tree);  // missing is not an error
}

TEST(BaseRoom, Openat2ResolvesAbsoluteSymlinksInsideTheRoot) {
  std::string root = launch_test::new_layer("openat2-root");
  std::string host = launch_test::new_layer("openat2-host");
  std::ofstream(host + "/secret") << "host";
  fs::create_directories(root + "/etc");
  fs::create_symlink(host + "/secret", root + "/etc/link");
  policy::runtime::UniqueFd dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir.valid());
  auto in_root = policy::runtime::openat2(dir.get(), "/etc/link", O_RDONLY, RESOLVE_IN_ROOT);
  EXPECT_FALSE(in_root.valid());
  EXPECT_EQ(errno, ENOENT);  // the link's target, taken inside the root, does not exist
  auto no_links = policy::runtime::openat2(dir.get(), "etc/link", O_RDONLY, RESOLVE_NO_SYMLINKS);
  EXPECT_FALSE(no_links.valid());
  EXPECT_EQ(errno, ELOOP);
}
