// Decompression bombs and other unbounded work (docs/images.md "Limits"): each limit refuses the
// image while it is read, names the image, the layer, the limit and the option that raises it,
// and leaves nothing half-unpacked in the cache. The bombs are made here, streamed through
// libarchive's writer: their payload never exists uncompressed.
#include <sys/statvfs.h>

#include "compiler/common/error.hpp"
#include "image_test_util.hpp"
#include "runtime/image/digest.hpp"

using namespace imgtest;
using policy::image::CacheOptions;
using policy::image::parse_image_limits;
using policy::image::prepare_image;
using policy::image::short_digest;
using policy::image::UnpackLimits;

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t kUnlimited = ~0ull;

class Limits : public ::testing::Test {
 protected:
  TempDir tmp;
  CacheOptions cache{tmp / "cache"};

  // Nothing half-unpacked may remain: no layer, no temporary directory.
  void expect_no_layer_left() {
    EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
    EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
  }

  // A zstd layer: a small file, then `size` zero bytes in 'zeros'.
  std::string zero_bomb(const std::string& name, uint64_t size) {
    std::string t = tmp / name;
    TarWriter w(t, "zstd");
    w.dir("etc");
    w.file("etc/hostname", "bomb\n");
    w.zeros("zeros", size);
    return t;
  }

  // A one-layer OCI layout around `layer` (zstd); returns the layer's blob digest.
  std::string oci_around(const std::string& dir, const std::string& layer) {
    OciBuilder b(dir);
    json l = b.layer_file(layer, "application/vnd.oci.image.layer.v1.tar+zstd");
    b.index({OciBuilder::tagged(b.manifest({l}, {}), "bomb")});
    return hex_of(l);
  }
};

TEST_F(Limits, ABigEntryIsRefusedByItsHeaderAndNothingIsLeft) {
  std::string layer = zero_bomb("bomb.tar.zst", 100 * MiB);
  EXPECT_LT(fs::file_size(layer), MiB) << "the bomb should be small";
  std::string oci = tmp / "oci";
  std::string hex = oci_around(oci, layer);
  cache.limits.max_bytes = 64 * MiB;
  EXPECT_IMAGE_ERROR(prepare_image(oci, cache), oci + ": layer " + short_digest(hex),
                     "entry 'zeros' (100.0 MiB) takes the image's unpacked size past 64.0 MiB",
                     "refusing the image", "limit size=64M", "--image-limit size=N");
  expect_no_layer_left();

  cache.limits.max_entry_bytes = 50 * MiB;
  cache.limits.max_bytes = kUnlimited;
  EXPECT_IMAGE_ERROR(prepare_image(oci, cache), "layer " + short_digest(hex),
                     "entry 'zeros' holds 100.0 MiB, more than one file may",
                     "limit entry-size=50M", "--image-limit entry-size=N");
  expect_no_layer_left();

  // The same image with the limits raised (what --image-limit size=128M does).
  cache.limits = UnpackLimits{};
  parse_image_limits("size=128M,entry-size=128M", cache.limits);
  auto img = prepare_image(oci, cache);
  ASSERT_EQ(img.layer_dirs.size(), 1u);
  EXPECT_EQ(fs::file_size(img.layer_dirs[0] + "/zeros"), 100 * MiB);
}

// Without a size limit the ratio stops it, while it is being written: the message says how much
// had been decompressed, just past the floor, far from the 300 MiB it would have become.
TEST_F(Limits, ARatioBombIsStoppedWhileItIsWrittenAndItsPartialLayerRemoved) {
  std::string layer = zero_bomb("bomb.tar.zst", 300 * MiB);
  std::string oci = tmp / "oci";
  std::string hex = oci_around(oci, layer);
  cache.limits.max_bytes = cache.limits.max_entry_bytes = kUnlimited;
  cache.limits.ratio_floor = 16 * MiB;
  EXPECT_IMAGE_ERROR(prepare_image(oci, cache), oci + ": layer " + short_digest(hex),
                     "its data expands more than 100 times", "read became 16.",
                     "decompression bomb; refusing the image", "limit ratio=100",
                     "--image-limit ratio=N");
  expect_no_layer_left();
}

// A rootfs tarball is read once whole before it is unpacked (to find out what it is): the ratio
// stops that first pass, and the refusal names the file's digest (its layer's cache key).
TEST_F(Limits, ARootfsTarballBombIsRefusedInItsFirstPass) {
  std::string t = zero_bomb("rootfs.tar.zst", 300 * MiB);
  cache.limits.ratio_floor = 16 * MiB;
  EXPECT_IMAGE_ERROR(prepare_image(t, cache),
                     t + " (" + short_digest(sha256_of_file(t)) + "): its data expands",
                     "limit ratio=100", "--image-limit ratio=N");
  expect_no_layer_left();
  // The default floor (256 MiB) lets a small, very compressible image through.
  std::string small = zero_bomb("small.tar.zst", 64 * MiB);
  cache.limits = UnpackLimits{};
  auto img = prepare_image(small, cache);
  EXPECT_EQ(fs::file_size(img.layer_dirs.at(0) + "/zeros"), 64 * MiB);
}

TEST_F(Limits, TooManyEntriesAreRefused) {
  std::string layer = tmp / "many.tar.zst";
  {
    TarWriter w(layer, "zstd");
    w.dir("d");
    for (int i = 0; i < 3000; ++i) w.file("d/" + std::to_string(i), "");
  }
  std::string oci = tmp / "oci";
  std::string hex = oci_around(oci, layer);
  cache.limits.max_entries = 1000;
  EXPECT_IMAGE_ERROR(prepare_image(oci, cache), oci + ": layer " + short_digest(hex),
                     "more than 1000 entries in the image (at entry 'd/999')", "limit entries=1000",
                     "--image-limit entries=N");
  expect_no_layer_left();
  // As a rootfs tarball the first pass counts them.
  EXPECT_IMAGE_ERROR(prepare_image(layer, cache),
                     layer + " (sha256:", "more than 1000 entries in the archive",
                     "limit entries=1000");
  expect_no_layer_left();
  parse_image_limits("entries=5000", cache.limits);
  EXPECT_EQ(prepare_image(oci, cache).layer_dirs.size(), 1u);
  EXPECT_TRUE(fs::exists(prepare_image(layer, cache).layer_dirs.at(0) + "/d/2999"));
}

TEST_F(Limits, DeepAndLongNamesAreRefused) {
  std::string deep = tmp / "deep.tar";
  std::string name;
  for (int i = 0; i < 20; ++i) name += "a/";
  {
    TarWriter w(deep);
    w.file(name + "f", "x");
  }
  cache.limits.max_depth = 10;
  EXPECT_IMAGE_ERROR(prepare_image(deep, cache),
                     "layer sha256:", "entry '" + name + "f' is 21 components deep",
                     "limit depth=10", "--image-limit depth=N");
  expect_no_layer_left();
  cache.limits = UnpackLimits{};
  cache.limits.max_path = 30;
  EXPECT_IMAGE_ERROR(prepare_image(deep, cache), "an entry name of 41 bytes", "limit path=30",
                     "--image-limit path=N");
  expect_no_layer_left();
  cache.limits = UnpackLimits{};
  EXPECT_TRUE(fs::exists(prepare_image(deep, cache).layer_dirs.at(0) + "/" + name + "f"));
}

// The free space of the cache's file system is read before a layer and before a big file; a
// margin larger than what is free refuses the image before anything is written.
TEST_F(Limits, TheCacheFileSystemKeepsItsMargin) {
  std::string t = tmp / "small.tar";
  {
    TarWriter w(t);
    w.file("a", "x");
  }
  fs::create_directories(cache.root);
  struct statvfs vfs;
  ASSERT_EQ(::statvfs(cache.root.c_str(), &vfs), 0);
  uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  cache.limits.min_free_bytes = avail + (1ull << 40);
  EXPECT_IMAGE_ERROR(prepare_image(t, cache), t + ": layer sha256:",
                     "free on the file system of the image cache " + cache.root,
                     "limit free=", "lower the margin with --image-limit free=N");
  expect_no_layer_left();
  cache.limits.min_free_bytes = 0;
  EXPECT_EQ(prepare_image(t, cache).layer_dirs.size(), 1u);
}

TEST(ImageLimitOption, ParsesKeysUnitsAndRefusesNonsense) {
  UnpackLimits l;
  parse_image_limits("size=64G,entries=2000000,ratio=200", l);
  EXPECT_EQ(l.max_bytes, 64ull << 30);
  EXPECT_EQ(l.max_entries, 2000000u);
  EXPECT_EQ(l.max_ratio, 200u);
  parse_image_limits("entry-size=1T,ratio-floor=512m,path=1000,depth=64,free=0,free-inodes=5", l);
  EXPECT_EQ(l.max_entry_bytes, 1ull << 40);
  EXPECT_EQ(l.ratio_floor, 512ull << 20);
  EXPECT_EQ(l.max_path, 1000u);
  EXPECT_EQ(l.max_depth, 64u);
  EXPECT_EQ(l.min_free_bytes.value_or(99), 0u);
  EXPECT_EQ(l.min_free_inodes.value_or(99), 5u);
  parse_image_limits("ratio=unlimited", l);
  EXPECT_EQ(l.max_ratio, kUnlimited);
  EXPECT_IMAGE_ERROR(parse_image_limits("sise=1G", l), "unknown limit 'sise'",
                     "known: size, entry-size, entries");
  EXPECT_IMAGE_ERROR(parse_image_limits("size=lots", l), "size=lots: not a number");
  EXPECT_IMAGE_ERROR(parse_image_limits("size=1X", l), "unknown unit 'X'");
  EXPECT_IMAGE_ERROR(parse_image_limits("entries=2M", l), "a count takes no unit suffix");
  EXPECT_IMAGE_ERROR(parse_image_limits("size=99999999999T", l), "too large");
  EXPECT_IMAGE_ERROR(parse_image_limits("ratio=0", l), "must be at least 1");
  EXPECT_IMAGE_ERROR(parse_image_limits("free=unlimited", l), "cannot be unlimited");
  EXPECT_IMAGE_ERROR(parse_image_limits("size", l), "expected KEY=VALUE");
}

}  // namespace
