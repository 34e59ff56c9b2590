// Image paths and cache roots the launch cannot use safely are refused before any work
// (image.hpp check_image_ref): overlayfs option characters, the host's "/", and a rootfs
// directory that contains the cache (or lies inside it).
#include "compiler/common/error.hpp"
#include "image_test_util.hpp"

using namespace imgtest;
using policy::image::CacheOptions;
using policy::image::check_image_ref;
using policy::image::prepare_image;

namespace {

class ImagePaths : public ::testing::Test {
 protected:
  TempDir tmp;
  std::string rootfs = tmp / "rootfs";
  void SetUp() override { fs::create_directories(rootfs + "/etc"); }
};

TEST_F(ImagePaths, ACacheRootOverlayfsCannotExpressIsRefusedBeforeAnyWork) {
  std::string t = tmp / "img.tar";
  {
    TarWriter w(t);
    w.file("etc/hostname", "x\n");
  }
  for (const char* bad : {"back\\slash", "com,ma", "co:lon"}) {
    CacheOptions cache{tmp / bad};
    EXPECT_IMAGE_ERROR(check_image_ref(t, cache), "--root '" + cache.root + "': contains '",
                       "which overlayfs mount options cannot express");
    EXPECT_IMAGE_ERROR(prepare_image(t, cache), "--root '" + cache.root + "'");
    EXPECT_IMAGE_ERROR(prepare_image(rootfs, cache), "--root '" + cache.root + "'");
    EXPECT_FALSE(fs::exists(cache.root)) << "the cache was created for " << bad;
  }
}

TEST_F(ImagePaths, ARootfsDirectoryWithABackslashIsRefused) {
  std::string d = tmp / "a\\b";
  fs::create_directories(d + "/etc");
  CacheOptions cache{tmp / "cache"};
  EXPECT_IMAGE_ERROR(check_image_ref(d, cache), "contains '\\'", "tar -C DIR -c . > rootfs.tar");
  EXPECT_IMAGE_ERROR(prepare_image(d, cache), "contains '\\'");
  // An OCI layout there is fine: its layers are unpacked into the cache, named by digest.
  OciBuilder b(tmp / "oci\\dir");
  b.index({OciBuilder::tagged(b.manifest({}, {}), "empty")});
  EXPECT_NO_THROW(check_image_ref(tmp / "oci\\dir", cache));
  EXPECT_EQ(prepare_image(tmp / "oci\\dir", cache).layer_dirs.size(), 1u);
}

TEST_F(ImagePaths, TheHostRootIsRefusedHoweverItIsNamed) {
  CacheOptions cache{tmp / "cache"};
  std::string link = tmp / "host";
  fs::create_directory_symlink("/", link);
  for (const std::string& p : {std::string("/"), std::string("/."), link, link + "/etc/.."}) {
    EXPECT_IMAGE_ERROR(check_image_ref(p, cache), p + ": is the host's root directory");
    EXPECT_IMAGE_ERROR(prepare_image(p, cache), "is the host's root directory");
  }
  EXPECT_FALSE(fs::exists(cache.root));
}

TEST_F(ImagePaths, ARootfsDirectoryHoldingTheCacheOrInsideItIsRefused) {
  // --root inside the image, existing or not yet.
  for (const std::string& root : {rootfs + "/var/lib/policyrun", rootfs + "/etc", rootfs}) {
    CacheOptions cache{root};
    EXPECT_IMAGE_ERROR(check_image_ref(rootfs, cache),
                       rootfs + ": the rootfs directory contains the image cache and run state",
                       "choose a --root outside the image");
  }
  EXPECT_FALSE(fs::exists(rootfs + "/var")) << "nothing may be created in the image";
  // The same through another name of the image: a symlink and a bind-like second path.
  std::string link = tmp / "link";
  fs::create_directory_symlink(rootfs, link);
  EXPECT_IMAGE_ERROR(check_image_ref(link, CacheOptions{rootfs + "/cache"}),
                     "contains the image cache");
  EXPECT_IMAGE_ERROR(check_image_ref(rootfs, CacheOptions{link + "/cache"}),
                     "contains the image cache");
  // The image inside the cache (a cached layer, or the run state) is refused too.
  std::string cache_root = tmp / "cache";
  fs::create_directories(cache_root + "/layers/sha256/x/etc");
  EXPECT_IMAGE_ERROR(prepare_image(cache_root + "/layers/sha256/x", CacheOptions{cache_root}),
                     "lies inside the image cache and run state (--root " + cache_root + ")");
  // Siblings are fine.
  EXPECT_NO_THROW(check_image_ref(rootfs, CacheOptions{tmp / "rootfs-cache"}));
  EXPECT_NO_THROW(prepare_image(rootfs, CacheOptions{tmp / "rootfs-cache"}));
}

}  // namespace
