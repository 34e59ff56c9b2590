// The image's User resolved against the image's own /etc/passwd and /etc/group.
#include <fcntl.h>

#include "compiler/common/error.hpp"
#include "image_test_util.hpp"
#include "runtime/image/user.hpp"

using namespace imgtest;
using policy::image::resolve_user;

namespace {

class User : public ::testing::Test {
 protected:
  TempDir root;
  int fd = -1;
  void SetUp() override {
    write_file(root / "etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\n"
               "# comment\n"
               "nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n"
               "app:x:1000:1000::/home/app:/bin/sh\n");
    write_file(root / "etc/group",
               "root:x:0:\nnginx:x:101:\napp:x:1000:\nwww:x:33:nginx,app\nvideo:x:44:app\n");
    fd = ::open(root.path().c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
  }
  void TearDown() override { ::close(fd); }
};

TEST_F(User, EmptyIsRoot) {
  auto u = resolve_user(fd, "", "img");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/");
}

TEST_F(User, NamesComeFromPasswdWithGroupsFromGroup) {
  auto u = resolve_user(fd, "app", "img");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_EQ(u.home, "/home/app");
  EXPECT_EQ(u.supplementary_groups, (std::vector<uint32_t>{33, 44}));
  auto n = resolve_user(fd, "nginx", "img");
  EXPECT_EQ(n.uid, 101u);
  EXPECT_EQ(n.supplementary_groups, std::vector<uint32_t>{33});
}

TEST_F(User, NumericIdsNeedNoEntry) {
  auto u = resolve_user(fd, "101", "img");
  EXPECT_EQ(u.uid, 101u);
  EXPECT_EQ(u.gid, 101u);  // taken from the passwd entry of uid 101
  auto v = resolve_user(fd, "4242:4343", "img");
  EXPECT_EQ(v.uid, 4242u);
  EXPECT_EQ(v.gid, 4343u);
  auto w = resolve_user(fd, "4242", "img");
  EXPECT_EQ(w.gid, 0u);
}

TEST_F(User, ExplicitGroupByNameOrNumber) {
  auto u = resolve_user(fd, "app:www", "img");
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 33u);
  EXPECT_TRUE(u.supplementary_groups.empty());
  EXPECT_EQ(resolve_user(fd, "nginx:7", "img").gid, 7u);
}

TEST_F(User, UnknownNamesAreErrors) {
  EXPECT_IMAGE_ERROR(resolve_user(fd, "nobody", "busybox.tar"),
                     "busybox.tar: User 'nobody' is not in the image's /etc/passwd");
  EXPECT_IMAGE_ERROR(resolve_user(fd, "app:wheel", "img"),
                     "group 'wheel' is not in the image's /etc/group");
  EXPECT_IMAGE_ERROR(resolve_user(fd, ":1", "img"), "no user part");
}

TEST_F(User, PasswdSymlinkStaysInsideTheRoot) {
  // An image whose /etc/passwd points at the host's: resolved inside the root, where it is absent.
  fs::remove(root / "etc/passwd");
  fs::create_symlink("/etc/hostname-not-here", root / "etc/passwd");
  EXPECT_IMAGE_ERROR(resolve_user(fd, "root", "img"),
                     "User 'root' is not in the image's /etc/passwd");
  fs::remove(root / "etc/passwd");
  // ".." cannot climb above the container root: this is the image's own etc/real-passwd.
  write_file(root / "etc/real-passwd", "web:x:80:80::/srv:/bin/sh\n");
  fs::create_symlink("../../../../../../etc/real-passwd", root / "etc/passwd");
  EXPECT_EQ(resolve_user(fd, "web", "img").uid, 80u);
  EXPECT_IMAGE_ERROR(resolve_user(fd, "root", "img"), "not in the image's /etc/passwd");
  EXPECT_EQ(resolve_user(fd, "0", "img").uid, 0u);
}

}  // namespace
