// An /etc/passwd or /etc/group that is there but cannot be read (a directory, a FIFO): a name
// cannot be looked up in it, a number needs no entry (as Docker's runtimes treat it).
#include <fcntl.h>
#include <sys/stat.h>

#include "compiler/common/error.hpp"
#include "image_test_util.hpp"
#include "runtime/image/user.hpp"

using namespace imgtest;
using policy::image::resolve_user;

TEST(UserDb, UnreadablePasswdRefusesNamesAndAcceptsNumbers) {
  TempDir root;
  fs::create_directories(root / "etc/passwd");  // a directory where the file should be
  ASSERT_EQ(::mkfifo((root / "etc/group").c_str(), 0644), 0);
  int fd = ::open(root.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  auto u = resolve_user(fd, "4242", "img");
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/");
  EXPECT_EQ(resolve_user(fd, "4242:7", "img").gid, 7u);
  EXPECT_IMAGE_ERROR(resolve_user(fd, "app", "img"),
                     "img: /etc/passwd in the container root is not a regular file");
  EXPECT_IMAGE_ERROR(resolve_user(fd, "4242:wheel", "img"),
                     "img: /etc/group in the container root is not a regular file");
  ::close(fd);
}
