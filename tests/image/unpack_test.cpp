// The unpacker against hostile archives crafted byte by byte, and the metadata it must keep.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "compiler/common/error.hpp"
#include "image_test_util.hpp"
#include "runtime/image/unpack.hpp"

using namespace imgtest;
using policy::image::CacheOptions;
using policy::image::prepare_image;

namespace {

class Unpack : public ::testing::Test {
 protected:
  TempDir tmp;
  CacheOptions cache{tmp / "cache"};
  std::string outside = tmp / "outside";

  void SetUp() override { fs::create_directories(outside); }

  // Nothing half-written may remain in the cache, nothing may appear outside it.
  void expect_nothing_written() {
    EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
    EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
    EXPECT_TRUE(dir_is_empty(outside)) << "something was written outside the cache";
  }

  std::string one_layer(const std::string& tar) {
    auto img = prepare_image(tar, cache);
    EXPECT_EQ(img.layer_dirs.size(), 1u);
    return img.layer_dirs.at(0);
  }
};

TEST_F(Unpack, RefusesDotDotNames) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.file("ok", "fine");
    w.file("../escape", "x");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache), t + ": entry '../escape': path escapes the root",
                     "refusing the image");
  expect_nothing_written();
  EXPECT_FALSE(fs::exists(tmp / "escape"));
}

TEST_F(Unpack, RefusesDotDotInsideAName) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.file("a/../../escape", "x");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache), "entry 'a/../../escape': path escapes the root");
  expect_nothing_written();
}

TEST_F(Unpack, RefusesAbsoluteNames) {
  std::string t = tmp / "evil.tar";
  std::string target = outside + "/abs";
  {
    TarWriter w(t);
    w.file(target, "x");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache), "entry '" + target + "': absolute path");
  expect_nothing_written();
}

TEST_F(Unpack, NeverWritesThroughASymlink) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.symlink("a", outside);
    w.file("a/file", "pwned");
  }
  EXPECT_IMAGE_ERROR(
      prepare_image(t, cache),
      "entry 'a/file': path component 'a' is a symlink; refusing to write through it",
      "refusing the image");
  expect_nothing_written();
}

TEST_F(Unpack, NeverWritesThroughASymlinkToADirectoryInsideTheLayerEither) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.dir("real");
    w.symlink("link", "real");
    w.file("link/file", "x");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache),
                     "entry 'link/file': path component 'link' is a symlink");
  expect_nothing_written();
}

TEST_F(Unpack, RefusesHardlinksOutOfTheRoot) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.hardlink("passwd", "../../etc/passwd");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache),
                     "entry 'passwd': hardlink target '../../etc/passwd' escapes the root");
  expect_nothing_written();
}

TEST_F(Unpack, RefusesAbsoluteHardlinkTargets) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.hardlink("passwd", "/etc/passwd");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache),
                     "entry 'passwd': hardlink target '/etc/passwd' escapes");
  expect_nothing_written();
}

TEST_F(Unpack, RefusesHardlinksThroughASymlink) {
  std::string t = tmp / "evil.tar";
  write_file(outside + "/secret", "s");
  {
    TarWriter w(t);
    w.symlink("etc", outside);
    w.hardlink("stolen", "etc/secret");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache),
                     "entry 'stolen': hardlink target component 'etc' is a symlink; refusing to "
                     "follow it");
  EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
  EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
  struct stat st;
  ASSERT_EQ(::stat((outside + "/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_F(Unpack, RefusesHardlinksToMissingEntries) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.hardlink("x", "nothing/here");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache),
                     "entry 'x': hardlink target component 'nothing' does not exist in this layer");
  expect_nothing_written();
}

TEST_F(Unpack, RefusesBadWhiteoutNames) {
  for (std::string bad : {".wh...", "dir/.wh...", ".wh.", "d/.wh."}) {
    std::string t = tmp / "evil.tar";
    {
      TarWriter w(t);
      w.file(bad, "");
    }
    EXPECT_IMAGE_ERROR(prepare_image(t, cache), "entry '" + bad + "': bad whiteout name");
    expect_nothing_written();
  }
}

TEST_F(Unpack, RefusesWhiteoutsUsedAsDirectories) {
  std::string t = tmp / "evil.tar";
  {
    TarWriter w(t);
    w.file(".wh.etc/passwd", "");
  }
  EXPECT_IMAGE_ERROR(prepare_image(t, cache),
                     "entry '.wh.etc/passwd': a whiteout name is used as a directory");
  expect_nothing_written();
}

TEST_F(Unpack, RefusesTruncatedGzip) {
  std::string good = tmp / "good.tar.gz";
  {
    TarWriter w(good, "gzip");
    std::string big;
    for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919) + "\n";
    w.file("first", "1");
    w.file("big", big);
    w.file("last", "2");
  }
  std::string data = read_file(good);
  std::string t = tmp / "truncated.tar.gz";
  write_file(t, data.substr(0, data.size() / 2));
  EXPECT_IMAGE_ERROR(prepare_image(t, cache), t + ": after entry 'big'", "Truncated input",
                     "refusing the image");
  expect_nothing_written();
}

TEST_F(Unpack, RefusesGarbage) {
  std::string t = tmp / "garbage";
  write_file(t, std::string(5000, 'x'));
  EXPECT_IMAGE_ERROR(prepare_image(t, cache), t + ": not a tar archive");
  EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
}

TEST_F(Unpack, KeepsOwnersModesTimesLinksAndAllowedXattrs) {
  std::string t = tmp / "meta.tar";
  // A valid VFS v2 capability blob (cap_net_bind_service=ep), as setcap writes it.
  std::string cap(
      "\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20);
  {
    TarWriter w(t);
    w.dir("./", 0755);
    w.dir("bin", 0755);
    w.file("bin/su", "su-binary", 04755, 0, 0);
    w.file("bin/ping", "ping-binary", 0755, 0, 0, {{"security.capability", cap}});
    w.file("home/user/notes", "n", 0600, 1000, 1001, {{"user.comment", "hello"}});
    w.dir("private", 0700, 1000, 1000);
    w.file("private/x", "x", 0640, 1000, 1000);
    w.symlink("bin/sh", "/bin/busybox");
    w.hardlink("bin/su-again", "bin/su");
    w.file("etc/shadowy", "s", 0644, 0, 0, {{"trusted.overlay.opaque", "y"}});
    w.chardev("dev/null", 1, 3);
  }
  auto img = prepare_image(t, cache);
  ASSERT_EQ(img.layer_dirs.size(), 1u);
  std::string L = img.layer_dirs[0];
  EXPECT_EQ(L, cache.root + "/layers/sha256/" + sha256_of_file(t));
  struct stat st;
  ASSERT_EQ(::lstat((L + "/bin/su").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  EXPECT_EQ(read_file(L + "/bin/su"), "su-binary");
  struct stat st2;
  ASSERT_EQ(::lstat((L + "/bin/su-again").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino) << "hardlink must share the inode";
  ASSERT_EQ(::lstat((L + "/home/user/notes").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1001u);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::lstat((L + "/private").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  ASSERT_EQ(::lstat((L + "/bin/sh").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(fs::read_symlink(L + "/bin/sh"), "/bin/busybox");
  char buf[64];
  ssize_t n = ::getxattr((L + "/home/user/notes").c_str(), "user.comment", buf, sizeof buf);
  ASSERT_EQ(n, 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  char capbuf[64];
  n = ::getxattr((L + "/bin/ping").c_str(), "security.capability", capbuf, sizeof capbuf);
  ASSERT_EQ(n, 20) << "security.capability must be kept";
  EXPECT_EQ(std::string(capbuf, 20), cap);
  // A layer must not be able to fake overlay metadata.
  EXPECT_LT(::getxattr((L + "/etc/shadowy").c_str(), "trusted.overlay.opaque", buf, sizeof buf), 0);
  // Device nodes are skipped (the runtime builds /dev), with a warning.
  EXPECT_FALSE(fs::exists(fs::symlink_status(L + "/dev/null")));
  std::string warnings;
  for (auto& w : img.warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("skipped 1 device node"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("trusted.overlay.opaque"), std::string::npos) << warnings;
  // The root entry "./" gives the layer root its mode; the cache above it stays private.
  ASSERT_EQ(::stat(L.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  ASSERT_EQ(::stat((cache.root + "/layers").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(::stat(cache.root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(Unpack, ConvertsWhiteoutsToOverlayForm) {
  std::string t = tmp / "wh.tar";
  {
    TarWriter w(t);
    w.file("etc/.wh.passwd", "");
    w.file("opaque/.wh..wh..opq", "");
    w.file("opaque/kept", "k");
    w.file("again/.wh.f", "");
    w.file("again/f", "re-added in the same layer");
    w.file("x/.wh..wh.plnk", "");
  }
  auto img = prepare_image(t, cache);
  std::string L = img.layer_dirs.at(0);
  struct stat st;
  ASSERT_EQ(::lstat((L + "/etc/passwd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(fs::symlink_status(L + "/etc/.wh.passwd")));
  char v[8];
  ASSERT_EQ(::getxattr((L + "/opaque").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
  EXPECT_EQ(v[0], 'y');
  EXPECT_EQ(read_file(L + "/opaque/kept"), "k");
  EXPECT_EQ(read_file(L + "/again/f"), "re-added in the same layer");
  EXPECT_FALSE(fs::exists(fs::symlink_status(L + "/x/.wh..wh.plnk")));
}

TEST_F(Unpack, LaterEntriesReplaceEarlierOnes) {
  std::string t = tmp / "replace.tar";
  {
    TarWriter w(t);
    w.file("a/inner", "1");
    w.symlink("a", "elsewhere");  // replaces the directory a/
    w.file("f", "old");
    w.file("f", "new");
    w.dir("d", 0700);
    w.dir("d", 0750);
  }
  std::string L = one_layer(t);
  EXPECT_TRUE(fs::is_symlink(L + "/a"));
  EXPECT_EQ(read_file(L + "/f"), "new");
  struct stat st;
  ASSERT_EQ(::stat((L + "/d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
}

TEST(NormalizeEntryName, CanonicalRelativeNames) {
  using policy::image::normalize_entry_name;
  EXPECT_EQ(normalize_entry_name("./a//b/", "x"), "a/b");
  EXPECT_EQ(normalize_entry_name("./", "x"), "");
  EXPECT_EQ(normalize_entry_name("a/./b", "x"), "a/b");
  EXPECT_THROW(normalize_entry_name("a/..", "x"), policy::Error);
  EXPECT_THROW(normalize_entry_name("/a", "x"), policy::Error);
  EXPECT_THROW(normalize_entry_name("", "x"), policy::Error);
}

}  // namespace

namespace {

TEST_F(Unpack, KeepsNonAsciiNamesByteForByte) {
  std::string src = tmp / "src";
  write_file(src + "/etc/caf\xc3\xa9", "utf8");
  write_file(src + "/etc/raw\xff\xfe", "not utf8");
  for (std::string format : {"gnu", "pax"}) {
    std::string t = tmp / (format + ".tar");
    must_run("tar --format=" + format + " -C " + src + " -cf " + t + " .");
    std::string L = one_layer(t);
    EXPECT_EQ(read_file(L + "/etc/caf\xc3\xa9"), "utf8") << format;
    EXPECT_EQ(read_file(L + "/etc/raw\xff\xfe"), "not utf8") << format;
  }
}

}  // namespace

namespace {

TEST_F(Unpack, SparseFilesAndFifosFromGnuTar) {
  std::string src = tmp / "src";
  fs::create_directories(src);
  must_run("truncate -s 8M " + src + "/sparse && printf tail | dd of=" + src +
           "/sparse bs=1 seek=4194304 conv=notrunc status=none && mkfifo -m 0620 " + src + "/fifo");
  std::string t = tmp / "sparse.tar";
  must_run("tar --sparse -C " + src + " -cf " + t + " .");
  std::string L = one_layer(t);
  struct stat st;
  ASSERT_EQ(::stat((L + "/sparse").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 8 << 20);
  std::string data = read_file(L + "/sparse");
  EXPECT_EQ(data.substr(4194304, 4), "tail");
  EXPECT_EQ(data.substr(0, 16), std::string(16, '\0'));
  ASSERT_EQ(::lstat((L + "/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
}

}  // namespace
