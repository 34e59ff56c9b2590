// Real images built with real tools (busybox-static, umoci, skopeo, GNU tar) and by hand, run
// through prepare_image: every kind, tag selection, digests, cache reuse.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <memory>

#include "compiler/common/error.hpp"
#include "image_test_util.hpp"
#include "runtime/image/formats.hpp"

using namespace imgtest;
using policy::image::CacheOptions;
using policy::image::ImageKind;
using policy::image::prepare_image;
using policy::image::PreparedImage;

namespace {

// Built once and shared by every test process (ctest runs each test alone): a busybox rootfs
// and the images made from it, in <cwd>/image-test-fixtures, rebuilt when kVersion changes.
struct Images {
  static constexpr const char* kVersion = "fixtures-v1";
  std::string root, rootfs, oci, oci_tar, docker_tar, zstd_oci, busybox_bytes;
  std::string error;  // set when building failed: every test then fails with it

  Images() {
    try {
      root = fs::current_path().string() + "/image-test-fixtures";
      rootfs = root + "/rootfs";
      oci = root + "/oci";
      oci_tar = root + "/oci.tar";
      docker_tar = root + "/docker.tar";
      zstd_oci = root + "/zstd-oci";
      fs::create_directories(root);
      int lock = ::open((root + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (lock < 0 || ::flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + root);
      if (!fs::exists(root + "/" + kVersion)) {
        for (auto& e : fs::directory_iterator(root)) fs::remove_all(e.path());
        build();
        write_file(root + "/" + kVersion, "");
      }
      ::close(lock);
      busybox_bytes = read_file("/bin/busybox");
    } catch (const std::exception& e) {
      error = e.what();
    }
  }

  std::string operator/(const std::string& rel) const { return root + "/" + rel; }

  void build() {
    for (auto t : {"umoci", "skopeo", "tar", "busybox"}) require_tool(t);
    std::string busybox = "/bin/busybox";
    if (read_file(busybox).empty()) throw std::runtime_error("busybox-static is not installed");
    must_run("mkdir -p " + rootfs + "/bin " + rootfs + "/etc/dd " + rootfs + "/usr/bin");
    must_run("cp " + busybox + " " + rootfs + "/bin/busybox");
    for (auto applet : {"sh", "ls", "cat", "true"})
      must_run("ln -s busybox " + rootfs + "/bin/" + applet);
    write_file(rootfs + "/etc/hostname", "policyrun\n");
    write_file(rootfs + "/etc/f1", "one\n");
    write_file(rootfs + "/etc/dd/a", "a\n");
    must_run("ln " + rootfs + "/etc/hostname " + rootfs + "/etc/hostname-link");
    write_file(rootfs + "/usr/bin/suid", "#!/bin/sh\n");
    must_run("chown 1000:1000 " + rootfs + "/usr/bin/suid && chmod 04755 " + rootfs +
             "/usr/bin/suid");

    // OCI layout with umoci: layer 1 = the rootfs; layer 2 deletes etc/f1 (a real whiteout);
    // layer 3 (added verbatim) makes etc/dd opaque.
    must_run("cd " + root + " && umoci init --layout oci && umoci new --image oci:base");
    must_run("cd " + root + " && umoci unpack --image oci:base b1 >/dev/null");
    must_run("cp -a " + rootfs + "/. " + root + "/b1/rootfs/");
    must_run("cd " + root + " && umoci repack --image oci:v1 b1");
    must_run("cd " + root +
             " && umoci config --image oci:v1 --config.env FOO=bar --config.env PATH=/bin "
             "--config.cmd /bin/sh --config.cmd -c --config.cmd 'echo hi' "
             "--config.workingdir /etc --config.user 1000:1000");
    must_run("cd " + root + " && umoci unpack --image oci:v1 b2 >/dev/null");
    must_run("rm " + root + "/b2/rootfs/etc/f1");
    must_run("cd " + root + " && umoci repack --image oci:v1 b2");
    {
      TarWriter w((*this) / "opaque.tar");
      w.dir("etc/dd", 0755);
      w.file("etc/dd/.wh..wh..opq", "");
      w.file("etc/dd/b", "b\n");
    }
    must_run("cd " + root + " && umoci raw add-layer --image oci:v1 opaque.tar");
    must_run("tar -C " + oci + " -cf " + oci_tar + " .");
    must_run("skopeo copy oci:" + oci + ":v1 docker-archive:" + docker_tar + ":busybox:latest");
    must_run("skopeo copy --dest-compress-format zstd oci:" + oci + ":v1 oci:" + zstd_oci + ":z");
    must_run("rm -rf " + root + "/b1 " + root + "/b2");
  }
};

Images& images() {
  static Images i;
  return i;
}

class Formats : public ::testing::Test {
 protected:
  TempDir tmp;
  CacheOptions cache{tmp / "cache"};

  // The busybox image with the whiteout and opaque layers applied in order.
  void expect_busybox_layers(const PreparedImage& p) {
    ASSERT_EQ(p.layer_dirs.size(), 3u) << p.description;
    const std::string& l1 = p.layer_dirs[0];
    const std::string& l2 = p.layer_dirs[1];
    const std::string& l3 = p.layer_dirs[2];
    EXPECT_EQ(read_file(l1 + "/bin/busybox"), images().busybox_bytes);
    EXPECT_EQ(fs::read_symlink(l1 + "/bin/sh"), "busybox");
    EXPECT_EQ(read_file(l1 + "/etc/hostname"), "policyrun\n");
    struct stat a, b;
    ASSERT_EQ(::lstat((l1 + "/etc/hostname").c_str(), &a), 0);
    ASSERT_EQ(::lstat((l1 + "/etc/hostname-link").c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    ASSERT_EQ(::lstat((l1 + "/usr/bin/suid").c_str(), &a), 0);
    EXPECT_EQ(a.st_mode & 07777, 04755u);
    EXPECT_EQ(a.st_uid, 1000u);
    EXPECT_EQ(a.st_gid, 1000u);
    ASSERT_EQ(::lstat((l1 + "/bin/busybox").c_str(), &a), 0);
    EXPECT_EQ(a.st_mode & 0777, 0755u);
    // Layer 2 deleted etc/f1: an overlay whiteout.
    ASSERT_EQ(::lstat((l2 + "/etc/f1").c_str(), &a), 0);
    EXPECT_TRUE(S_ISCHR(a.st_mode));
    EXPECT_EQ(a.st_rdev, makedev(0, 0));
    EXPECT_FALSE(fs::exists(fs::symlink_status(l2 + "/bin/busybox")));
    // Layer 3 made etc/dd opaque.
    char v[4];
    ASSERT_EQ(::getxattr((l3 + "/etc/dd").c_str(), "trusted.overlay.opaque", v, sizeof v), 1);
    EXPECT_EQ(read_file(l3 + "/etc/dd/b"), "b\n");
    for (auto& d : p.layer_dirs) EXPECT_EQ(d.rfind(cache.root + "/layers/sha256/", 0), 0u) << d;
    EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
  }

  void expect_busybox_config(const PreparedImage& p) {
    EXPECT_EQ(p.config.env, (std::vector<std::string>{"FOO=bar", "PATH=/bin"}));
    EXPECT_EQ(p.config.cmd, (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
    EXPECT_TRUE(p.config.entrypoint.empty());
    EXPECT_EQ(p.config.working_dir, "/etc");
    EXPECT_EQ(p.config.user, "1000:1000");
  }

  // The hex digest of the manifest tagged `tag` in an OCI layout ("" when there is none).
  std::string manifest_hex(const std::string& oci_dir, const std::string& tag) {
    json idx = json::parse(read_file(oci_dir + "/index.json"));
    for (auto& m : idx["manifests"])
      if (m["annotations"]["org.opencontainers.image.ref.name"] == tag) return hex_of(m);
    return "";
  }

  std::vector<std::string> manifest_layer_hexes(const std::string& oci_dir,
                                                const std::string& tag) {
    std::string mhex = manifest_hex(oci_dir, tag);
    if (mhex.empty()) return {};
    json man = json::parse(read_file(oci_dir + "/blobs/sha256/" + mhex));
    std::vector<std::string> out;
    for (auto& l : man["layers"]) out.push_back(hex_of(l));
    return out;
  }

  // Edits the config blob of `tag` in place (FOO=bar becomes FOO=baz), so that it no longer
  // matches its digest; returns that digest's hex.
  std::string edit_config_blob(const std::string& oci_dir, const std::string& tag) {
    json man = json::parse(read_file(oci_dir + "/blobs/sha256/" + manifest_hex(oci_dir, tag)));
    std::string chex = hex_of(man["config"]);
    std::string cfg = read_file(oci_dir + "/blobs/sha256/" + chex);
    cfg.replace(cfg.find("FOO=bar"), 7, "FOO=baz");
    write_file(oci_dir + "/blobs/sha256/" + chex, cfg);
    return chex;
  }
};

// Tests over the images the real tools built.
class RealImages : public Formats {
 protected:
  Images& img = images();
  void SetUp() override {
    if (!img.error.empty()) FAIL() << "building the test images failed: " << img.error;
  }
};

TEST_F(RealImages, OciLayoutDirectoryFromUmoci) {
  auto p = prepare_image(img.oci + ":v1", cache);
  EXPECT_EQ(p.kind, ImageKind::OciLayout);
  expect_busybox_layers(p);
  expect_busybox_config(p);
  auto hexes = manifest_layer_hexes(img.oci, "v1");
  ASSERT_EQ(hexes.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(p.layer_dirs[i], cache.root + "/layers/sha256/" + hexes[i]);
  EXPECT_NE(p.description.find("OCI image layout"), std::string::npos);
}

TEST_F(RealImages, OciLayoutWithSeveralImagesNeedsATag) {
  EXPECT_IMAGE_ERROR(prepare_image(img.oci, cache), img.oci + ": holds 2 images", "'base', 'v1'");
  EXPECT_IMAGE_ERROR(prepare_image(img.oci + ":nope", cache), "no image tagged 'nope'",
                     "'base', 'v1'");
  // umoci new: an image with no layer yet; it still gets one (empty) directory to stack on.
  auto base = prepare_image(img.oci + ":base", cache);
  ASSERT_EQ(base.layer_dirs.size(), 1u);
  EXPECT_TRUE(fs::is_empty(base.layer_dirs[0]));
}

TEST_F(RealImages, OciLayoutTarballSharesTheCacheWithTheDirectory) {
  auto from_dir = prepare_image(img.oci + ":v1", cache);
  auto from_tar = prepare_image(img.oci_tar + ":v1", cache);
  EXPECT_EQ(from_tar.kind, ImageKind::OciLayout);
  EXPECT_EQ(from_tar.layer_dirs, from_dir.layer_dirs);
  expect_busybox_layers(from_tar);
  expect_busybox_config(from_tar);
}

TEST_F(RealImages, ZstdOciLayoutFromSkopeo) {
  json idx = json::parse(read_file(img.zstd_oci + "/index.json"));
  json man = json::parse(read_file(img.zstd_oci + "/blobs/sha256/" + hex_of(idx["manifests"][0])));
  ASSERT_EQ(man["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+zstd");
  auto p = prepare_image(img.zstd_oci, cache);
  expect_busybox_layers(p);
  expect_busybox_config(p);
}

TEST_F(RealImages, DockerArchiveFromSkopeo) {
  auto p = prepare_image(img.docker_tar, cache);
  EXPECT_EQ(p.kind, ImageKind::DockerArchive);
  expect_busybox_layers(p);
  expect_busybox_config(p);
  EXPECT_NE(p.description.find("busybox:latest"), std::string::npos) << p.description;
  auto by_tag = prepare_image(img.docker_tar + ":busybox:latest", cache);
  EXPECT_EQ(by_tag.layer_dirs, p.layer_dirs);
  auto short_tag = prepare_image(img.docker_tar + ":busybox", cache);
  EXPECT_EQ(short_tag.layer_dirs, p.layer_dirs);
  EXPECT_IMAGE_ERROR(prepare_image(img.docker_tar + ":alpine", cache), "no image tagged 'alpine'",
                     "docker.io/library/busybox:latest");
}

TEST_F(RealImages, ExtractedDockerArchiveDirectory) {
  std::string d = tmp / "extracted";
  must_run("mkdir -p " + d + " && tar -C " + d + " -xf " + img.docker_tar);
  auto p = prepare_image(d, cache);
  EXPECT_EQ(p.kind, ImageKind::DockerArchive);
  expect_busybox_layers(p);
}

// docker save before Docker 25: <id>/layer.tar, <id>/json, repositories, manifest.json.
TEST_F(Formats, LegacyDockerSaveWithTwoImages) {
  std::string src = tmp / "legacy";
  std::string l1 = tmp / "l1.tar", l2 = tmp / "l2.tar";
  {
    TarWriter w(l1);
    w.file("hello", "from image a\n");
  }
  {
    TarWriter w(l2);
    w.file("hello", "from image b\n");
    w.file("etc/.wh.gone", "");
  }
  auto add_image = [&](const std::string& layer, const std::string& id, const std::string& tag) {
    fs::create_directories(src + "/" + id);
    fs::copy_file(layer, src + "/" + id + "/layer.tar");
    write_file(src + "/" + id + "/json", R"({"id":")" + id + R"("})");
    write_file(src + "/" + id + "/VERSION", "1.0");
    json cfg = {{"config", {{"Cmd", {"/hello"}}, {"Env", {"IMAGE=" + tag}}}},
                {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id_of(layer)}}}}};
    std::string text = cfg.dump();
    std::string hex = policy::image::sha256_hex(text);
    write_file(src + "/" + hex + ".json", text);
    return json{{"Config", hex + ".json"}, {"RepoTags", {tag}}, {"Layers", {id + "/layer.tar"}}};
  };
  json manifest = {add_image(l1, std::string(64, 'a'), "a:1"),
                   add_image(l2, std::string(64, 'b'), "example.com/b:2")};
  write_file(src + "/manifest.json", manifest.dump());
  write_file(src + "/repositories", "{}");
  std::string t = tmp / "legacy.tar";
  must_run("tar -C " + src + " -cf " + t + " .");

  EXPECT_IMAGE_ERROR(prepare_image(t, cache), "holds 2 images", "'a:1', 'example.com/b:2'");
  auto b = prepare_image(t + ":example.com/b:2", cache);
  EXPECT_EQ(b.kind, ImageKind::DockerArchive);
  ASSERT_EQ(b.layer_dirs.size(), 1u);
  EXPECT_EQ(read_file(b.layer_dirs[0] + "/hello"), "from image b\n");
  EXPECT_EQ(b.layer_dirs[0], cache.root + "/layers/sha256/" + sha256_of_file(l2));
  EXPECT_EQ(b.config.env, std::vector<std::string>{"IMAGE=example.com/b:2"});
  struct stat st;
  ASSERT_EQ(::lstat((b.layer_dirs[0] + "/etc/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  auto a = prepare_image(t + ":a:1", cache);
  EXPECT_EQ(read_file(a.layer_dirs.at(0) + "/hello"), "from image a\n");
  // The second time, the layer is found under its diff_id (an uncompressed layer.tar's own
  // digest) and not unpacked again.
  write_file(b.layer_dirs[0] + "/.cache-marker", "");
  auto b_again = prepare_image(t + ":example.com/b:2", cache);
  EXPECT_EQ(b_again.layer_dirs, b.layer_dirs);
  EXPECT_TRUE(fs::exists(b.layer_dirs[0] + "/.cache-marker"));

  // A layer.tar whose content is not what the config's diff_id says is refused.
  fs::copy_file(l1, src + "/" + std::string(64, 'b') + "/layer.tar",
                fs::copy_options::overwrite_existing);
  std::string bad = tmp / "legacy-bad.tar";
  must_run("tar -C " + src + " -cf " + bad + " .");
  CacheOptions fresh{tmp / "cache2"};
  EXPECT_IMAGE_ERROR(prepare_image(bad + ":example.com/b:2", fresh),
                     "layer " + std::string(64, 'b') + "/layer.tar", "diff_id", "does not match");
  EXPECT_TRUE(dir_is_empty(fresh.root + "/layers/sha256"));
  EXPECT_TRUE(dir_is_empty(fresh.root + "/tmp"));
}

// docker save since Docker 25: an OCI layout plus manifest.json pointing into blobs/sha256.
TEST_F(Formats, DockerSaveBlobsLayoutFollowsManifestJson) {
  std::string src = tmp / "d25";
  OciBuilder b(src);
  std::string layer = tmp / "layer.tar";
  {
    TarWriter w(layer);
    w.file("etc/os-release", "ID=test\n");
  }
  json ld = b.layer_file(layer, "application/vnd.oci.image.layer.v1.tar");
  json md =
      b.manifest({ld}, {diff_id_of(layer)}, {{"Entrypoint", {"/bin/app"}}, {"WorkingDir", "/srv"}});
  b.index({OciBuilder::tagged(md, "docker.io/library/app:1")});
  json mani = json::parse(read_file(src + "/blobs/sha256/" + hex_of(md)));
  json dm = {{{"Config", "blobs/sha256/" + hex_of(mani["config"])},
              {"RepoTags", {"app:1"}},
              {"Layers", {"blobs/sha256/" + hex_of(ld)}}}};
  write_file(src + "/manifest.json", dm.dump());
  std::string t = tmp / "d25.tar";
  must_run("tar -C " + src + " -cf " + t + " .");
  auto p = prepare_image(t, cache);
  EXPECT_EQ(p.kind, ImageKind::DockerArchive);
  ASSERT_EQ(p.layer_dirs.size(), 1u);
  EXPECT_EQ(p.layer_dirs[0], cache.root + "/layers/sha256/" + hex_of(ld));
  EXPECT_EQ(read_file(p.layer_dirs[0] + "/etc/os-release"), "ID=test\n");
  EXPECT_EQ(p.config.entrypoint, std::vector<std::string>{"/bin/app"});
  EXPECT_EQ(p.config.working_dir, "/srv");
}

TEST_F(RealImages, PlainRootfsTarballsPlainGzipAndZstd) {
  std::string plain = tmp / "rootfs.tar", gz = tmp / "rootfs.tgz", zst = tmp / "rootfs.tzst";
  must_run("tar -C " + img.rootfs + " -cf " + plain + " .");
  must_run("tar -C " + img.rootfs + " -czf " + gz + " .");
  must_run("tar -C " + img.rootfs + " --zstd -cf " + zst + " .");
  for (auto& t : {plain, gz, zst}) {
    auto p = prepare_image(t, cache);
    EXPECT_EQ(p.kind, ImageKind::RootfsTarball);
    ASSERT_EQ(p.layer_dirs.size(), 1u);
    std::string L = p.layer_dirs[0];
    EXPECT_EQ(L, cache.root + "/layers/sha256/" + sha256_of_file(t));
    EXPECT_EQ(read_file(L + "/bin/busybox"), img.busybox_bytes);
    EXPECT_EQ(fs::read_symlink(L + "/bin/true"), "busybox");
    struct stat st;
    ASSERT_EQ(::lstat((L + "/usr/bin/suid").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_TRUE(p.config.cmd.empty());
    EXPECT_TRUE(p.config.env.empty());
  }
}

TEST_F(Formats, EmptyTarballsGiveAnEmptyRootfs) {
  std::string zero = tmp / "zero.tar", blocks = tmp / "blocks.tar", made = tmp / "made.tar";
  write_file(zero, "");
  write_file(blocks, std::string(10240, '\0'));
  must_run("mkdir -p " + tmp.path() + "/empty && tar -C " + tmp.path() + "/empty -cf " + made +
           " --exclude=. .");
  for (auto& t : {zero, blocks, made}) {
    auto p = prepare_image(t, cache);
    EXPECT_EQ(p.kind, ImageKind::RootfsTarball) << t;
    ASSERT_EQ(p.layer_dirs.size(), 1u) << t;
    EXPECT_TRUE(fs::is_empty(p.layer_dirs[0])) << t;
  }
}

TEST_F(RealImages, RootfsDirectoryIsUsedAsIs) {
  auto p = prepare_image(img.rootfs, cache);
  EXPECT_EQ(p.kind, ImageKind::RootfsDirectory);
  ASSERT_EQ(p.layer_dirs.size(), 1u);
  EXPECT_EQ(p.layer_dirs[0], fs::canonical(img.rootfs).string());
  EXPECT_FALSE(fs::exists(cache.root)) << "a directory rootfs is never copied";
  EXPECT_IMAGE_ERROR(prepare_image(img.rootfs + ":tag", cache), "drop ':tag'");
}

TEST_F(Formats, PathWithAColonThatExistsWins) {
  std::string t = tmp / "tar:with:colons.tar";
  {
    TarWriter w(t);
    w.dir("etc");
  }
  auto p = prepare_image(t, cache);
  EXPECT_EQ(p.kind, ImageKind::RootfsTarball);
  EXPECT_IMAGE_ERROR(prepare_image(tmp / "missing:tag", cache), "missing:tag");
  // A rootfs directory is the overlayfs lowerdir itself, where ':' separates directories.
  std::string d = tmp / "dir:with:colons";
  fs::create_directories(d + "/etc");
  EXPECT_IMAGE_ERROR(prepare_image(d, cache),
                     d + ": the rootfs directory's path '" + d +
                         "' contains ':', which overlayfs mount options "
                         "cannot express",
                     "tar -C DIR -c . > rootfs.tar");
}

TEST_F(Formats, MultiPlatformIndexPicksTheHostArchitecture) {
  OciBuilder b(tmp / "multi");
  std::string mine = tmp / "mine.tar", other = tmp / "other.tar";
  {
    TarWriter w(mine, "gzip");
    w.file("arch", "host\n");
  }
  {
    TarWriter w(other, "gzip");
    w.file("arch", "other\n");
  }
  std::string host = policy::image::host_oci_architecture();
  std::string foreign = host == "arm64" ? "amd64" : "arm64";
  auto man = [&](const std::string& layer) {
    must_run("gzip -dc " + layer + " > " + layer + ".raw");
    return b.manifest({b.layer_file(layer, "application/vnd.oci.image.layer.v1.tar+gzip")},
                      {diff_id_of(layer + ".raw")});
  };
  json m_other = OciBuilder::platform(man(other), "linux", foreign);
  json m_mine = OciBuilder::platform(man(mine), "linux", host);
  json m_unknown = OciBuilder::platform(man(other), "unknown", "unknown");
  json nested = b.index_blob({m_other, m_unknown, m_mine});
  b.index({OciBuilder::tagged(nested, "multi")});
  auto p = prepare_image(b.dir(), cache);
  ASSERT_EQ(p.layer_dirs.size(), 1u);
  EXPECT_EQ(read_file(p.layer_dirs[0] + "/arch"), "host\n");

  OciBuilder c(tmp / "foreign");
  c.index({OciBuilder::tagged(c.index_blob({m_other}), "x")});
  must_run("cp -r " + b.dir() + "/blobs " + c.dir() + "/");
  EXPECT_IMAGE_ERROR(prepare_image(c.dir(), cache), "no image for linux/" + host,
                     "linux/" + foreign);
}

TEST_F(Formats, LayerMediaTypeMustMatchItsMagicBytes) {
  OciBuilder b(tmp / "mt");
  std::string gz = tmp / "l.tar.gz";
  {
    TarWriter w(gz, "gzip");
    w.file("x", "x");
  }
  json ld = b.layer_file(gz, "application/vnd.oci.image.layer.v1.tar+zstd");
  b.index({b.manifest({ld}, {})});
  EXPECT_IMAGE_ERROR(prepare_image(b.dir(), cache), "layer sha256:" + hex_of(ld).substr(0, 12),
                     "data is gzip but only zstd is accepted");
  EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
  EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
}

TEST_F(RealImages, EveryOciDigestIsVerified) {
  // A layer blob replaced by another valid layer.
  std::string copy = tmp / "oci-copy";
  must_run("cp -a " + img.oci + " " + copy);
  auto hexes = manifest_layer_hexes(copy, "v1");
  ASSERT_EQ(hexes.size(), 3u);
  std::string other = tmp / "other.tgz";
  {
    TarWriter w(other, "gzip");
    w.file("bin/busybox", "not busybox");
  }
  fs::copy_file(other, copy + "/blobs/sha256/" + hexes[1], fs::copy_options::overwrite_existing);
  EXPECT_IMAGE_ERROR(prepare_image(copy + ":v1", cache),
                     copy + ": layer sha256:" + hexes[1] + ": digest mismatch",
                     "refusing the image");
  EXPECT_FALSE(fs::exists(cache.root + "/layers/sha256/" + hexes[1]));
  EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));

  // The config blob edited.
  std::string copy2 = tmp / "oci-copy2";
  must_run("cp -a " + img.oci + " " + copy2);
  std::string mhex = manifest_hex(copy2, "v1");
  std::string chex = edit_config_blob(copy2, "v1");
  EXPECT_IMAGE_ERROR(prepare_image(copy2 + ":v1", cache),
                     "config sha256:" + chex + ": digest mismatch");

  // The manifest edited.
  std::string m = read_file(copy2 + "/blobs/sha256/" + mhex);
  write_file(copy2 + "/blobs/sha256/" + mhex, m + " ");
  EXPECT_IMAGE_ERROR(prepare_image(copy2 + ":v1", cache),
                     "manifest sha256:" + mhex + ": digest mismatch");
}

TEST_F(Formats, DiffIdsAreCheckedAgainstTheUncompressedLayer) {
  OciBuilder b(tmp / "diffid");
  std::string l = tmp / "l.tar";
  {
    TarWriter w(l);
    w.file("x", "x");
  }
  json ld = b.layer_file(l, "application/vnd.oci.image.layer.v1.tar");
  b.index({b.manifest({ld}, {"sha256:" + std::string(64, '0')})});
  EXPECT_IMAGE_ERROR(prepare_image(b.dir(), cache), "layer sha256:" + hex_of(ld).substr(0, 12),
                     "diff_id sha256:" + std::string(64, '0'), "does not match");
  EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
}

TEST_F(Formats, HostileLayerInsideAnOciLayoutNamesTheLayer) {
  OciBuilder b(tmp / "evil");
  std::string l = tmp / "evil.tar";
  {
    TarWriter w(l);
    w.file("../etc/passwd", "root::0:0::/:/bin/sh\n");
  }
  json ld = b.layer_file(l, "application/vnd.oci.image.layer.v1.tar");
  b.index({b.manifest({ld}, {diff_id_of(l)})});
  EXPECT_IMAGE_ERROR(prepare_image(b.dir(), cache),
                     b.dir() + ": layer sha256:" + hex_of(ld).substr(0, 12) +
                         ": entry '../etc/passwd': path escapes the root; refusing the image");
  EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
  EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
}

TEST_F(Formats, DigestsThatAreNotSha256AreRefused) {
  OciBuilder b(tmp / "algo");
  b.index({{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
            {"digest", "sha256:../../../../etc/passwd"},
            {"size", 10}}});
  EXPECT_IMAGE_ERROR(prepare_image(b.dir(), cache), "malformed digest");
  OciBuilder c(tmp / "algo2");
  c.index({{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
            {"digest", "sha512:" + std::string(128, 'a')},
            {"size", 10}}});
  EXPECT_IMAGE_ERROR(prepare_image(c.dir(), cache), "only sha256 is supported");
}

TEST_F(RealImages, CachedLayersAreReusedNotUnpackedAgain) {
  auto first = prepare_image(img.oci + ":v1", cache);
  struct stat before;
  ASSERT_EQ(::stat(first.layer_dirs[0].c_str(), &before), 0);
  write_file(first.layer_dirs[0] + "/.cache-marker", "");  // gone if the layer were rebuilt
  auto second = prepare_image(img.oci + ":v1", cache);
  EXPECT_EQ(second.layer_dirs, first.layer_dirs);
  struct stat after;
  ASSERT_EQ(::stat(second.layer_dirs[0].c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_TRUE(fs::exists(second.layer_dirs[0] + "/.cache-marker"));
  expect_busybox_config(second);
}

TEST_F(RealImages, ConcurrentRunsRacingOnTheSameLayersAllSucceed) {
  constexpr int kRuns = 4;
  std::vector<pid_t> pids;
  for (int i = 0; i < kRuns; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        auto p = prepare_image(img.oci_tar + ":v1", cache);
        _exit(p.layer_dirs.size() == 3 ? 0 : 2);
      } catch (const std::exception& e) {
        fprintf(stderr, "child: %s\n", e.what());
        _exit(1);
      }
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int st = 0;
    ASSERT_EQ(::waitpid(pid, &st, 0), pid);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "status " << st;
  }
  auto p = prepare_image(img.oci_tar + ":v1", cache);
  expect_busybox_layers(p);
  size_t n = 0;
  for (auto& e : fs::directory_iterator(cache.root + "/layers/sha256")) n += e.is_directory();
  EXPECT_EQ(n, 3u);
  EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
}

TEST_F(RealImages, GcTmpRemovesDeadWritersOnlyAndPrepareRunsIt) {
  policy::image::gc_tmp(cache);  // no cache yet: nothing to do, no error
  prepare_image(img.rootfs + "/../oci.tar:v1", cache);
  std::string dead = cache.root + "/tmp/layer-dead";
  std::string live = cache.root + "/tmp/layer-live";
  fs::create_directories(dead + "/usr/bin");
  write_file(dead + "/usr/bin/half", "half-unpacked");
  fs::create_directories(live);
  int fd = ::open(live.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // what a live writer holds
  policy::image::gc_tmp(cache);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
  ::close(fd);
  fs::create_directories(dead);
  prepare_image(img.oci_tar + ":v1", cache);  // runs gc_tmp itself
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_FALSE(fs::exists(live));
}

// A launch from a rootfs directory needs no layer of the cache, and still removes what a run
// that died while unpacking left in it.
TEST_F(Formats, ARootfsDirectoryLaunchRemovesHalfUnpackedLayersToo) {
  std::string rootfs = tmp / "rootfs";
  fs::create_directories(rootfs + "/etc");
  std::string dead = cache.root + "/tmp/layer-dead";
  fs::create_directories(dead + "/usr/bin");
  write_file(dead + "/usr/bin/half", "half-unpacked");
  auto p = prepare_image(rootfs, cache);
  EXPECT_EQ(p.kind, ImageKind::RootfsDirectory);
  EXPECT_FALSE(fs::exists(dead)) << "a half-unpacked layer was left in the cache";
}

}  // namespace

namespace {

TEST_F(RealImages, TarballsAreRememberedUntilTheFileChanges) {
  std::string t = tmp / "docker.tar";
  fs::copy_file(img.docker_tar, t);
  auto first = prepare_image(t, cache);
  size_t records = 0;
  for (auto& e : fs::directory_iterator(cache.root + "/images")) records += e.is_regular_file();
  EXPECT_EQ(records, 1u);
  auto second = prepare_image(t, cache);  // from the record: same answer
  EXPECT_EQ(second.layer_dirs, first.layer_dirs);
  EXPECT_EQ(second.config.cmd, first.config.cmd);
  EXPECT_EQ(second.description, first.description);
  EXPECT_EQ(second.kind, ImageKind::DockerArchive);
  // Replaced by another image: the record no longer matches the file, the new content is read.
  std::string other = tmp / "other.tar";
  {
    TarWriter w(other);
    w.file("etc/other", "other\n");
  }
  fs::copy_file(other, t, fs::copy_options::overwrite_existing);
  auto third = prepare_image(t, cache);
  EXPECT_EQ(third.kind, ImageKind::RootfsTarball);
  ASSERT_EQ(third.layer_dirs.size(), 1u);
  EXPECT_EQ(read_file(third.layer_dirs[0] + "/etc/other"), "other\n");
  // A layer deleted from the cache is unpacked again rather than trusted from the record.
  fs::remove_all(third.layer_dirs[0]);
  auto fourth = prepare_image(t, cache);
  EXPECT_EQ(read_file(fourth.layer_dirs.at(0) + "/etc/other"), "other\n");
}

// A path is bytes, not necessarily UTF-8; the record (JSON) holds the identity in hex and shows
// such bytes in the description as U+FFFD, so the image is prepared, remembered and recalled.
TEST_F(Formats, ATarballWhosePathIsNotUtf8IsRemembered) {
  std::string t = tmp / "bad\xff.tar";
  {
    TarWriter w(t);
    w.file("etc/x", "x\n");
  }
  auto first = prepare_image(t, cache);
  size_t records = 0;
  for (auto& e : fs::directory_iterator(cache.root + "/images")) records += e.is_regular_file();
  EXPECT_EQ(records, 1u);
  auto second = prepare_image(t, cache);
  EXPECT_EQ(second.layer_dirs, first.layer_dirs);
  EXPECT_NE(first.description.find("bad\xff.tar"), std::string::npos) << first.description;
  EXPECT_NE(second.description.find("bad\xef\xbf\xbd.tar"), std::string::npos)
      << second.description;
}

// A record is named by a hash of the file's identity but used only when the identity it holds is
// the file's: another file's record under that name (what a collision would give) is a miss.
TEST_F(RealImages, ARecordIsUsedOnlyForTheFileItDescribes) {
  std::string docker = tmp / "docker.tar", plain = tmp / "plain.tar";
  fs::copy_file(img.docker_tar, docker);
  {
    TarWriter w(plain);
    w.file("etc/plain", "plain\n");
  }
  ASSERT_EQ(prepare_image(docker, cache).kind, ImageKind::DockerArchive);
  ASSERT_EQ(prepare_image(plain, cache).kind, ImageKind::RootfsTarball);
  std::vector<fs::path> records;
  for (auto& e : fs::directory_iterator(cache.root + "/images")) records.push_back(e.path());
  ASSERT_EQ(records.size(), 2u);
  std::string a = read_file(records[0]), b = read_file(records[1]);
  write_file(records[0], b);
  write_file(records[1], a);
  EXPECT_EQ(prepare_image(docker, cache).kind, ImageKind::DockerArchive);
  EXPECT_EQ(prepare_image(plain, cache).kind, ImageKind::RootfsTarball);
}

// An image directory is remembered by its top file (index.json here), which every change of its
// images rewrites: a remembered launch hashes nothing, and runs what was verified when the record
// was made. Rewriting index.json makes the next launch verify every digest again.
TEST_F(RealImages, ImageDirectoriesAreRememberedUntilTheirTopFileChanges) {
  std::string copy = tmp / "oci-remembered";
  must_run("cp -a " + img.oci + " " + copy);
  auto first = prepare_image(copy + ":v1", cache);
  size_t records = 0;
  for (auto& e : fs::directory_iterator(cache.root + "/images")) records += e.is_regular_file();
  EXPECT_EQ(records, 1u);
  // The config blob edited behind the record's back: the record answers with what was verified.
  std::string chex = edit_config_blob(copy, "v1");
  auto second = prepare_image(copy + ":v1", cache);
  EXPECT_EQ(second.layer_dirs, first.layer_dirs);
  EXPECT_EQ(second.config.env, first.config.env);
  // Another tag is another record, verified on its own.
  EXPECT_EQ(prepare_image(copy + ":base", cache).layer_dirs.size(), 1u);
  // index.json rewritten (same text, new ctime): every digest is checked again.
  write_file(copy + "/index.json", read_file(copy + "/index.json"));
  EXPECT_IMAGE_ERROR(prepare_image(copy + ":v1", cache),
                     "config sha256:" + chex + ": digest mismatch");
}

}  // namespace

namespace {

TEST_F(Formats, TruncatedGzipLayerNamesTheLayerAndTheEntry) {
  std::string good = tmp / "good.tar.gz";
  {
    TarWriter w(good, "gzip");
    std::string big;
    for (int i = 0; i < 40000; ++i) big += std::to_string(i * 7919) + "\n";
    w.file("usr/big", big);
    w.file("usr/after", "x");
  }
  std::string data = read_file(good);
  OciBuilder b(tmp / "trunc");
  json ld = b.blob(data.substr(0, data.size() / 2), "application/vnd.oci.image.layer.v1.tar+gzip");
  b.index({b.manifest({ld}, {})});
  EXPECT_IMAGE_ERROR(prepare_image(b.dir(), cache),
                     b.dir() + ": layer sha256:" + hex_of(ld).substr(0, 12) + ": entry 'usr/big'",
                     "truncated", "refusing the image");
  EXPECT_TRUE(dir_is_empty(cache.root + "/layers/sha256"));
  EXPECT_TRUE(dir_is_empty(cache.root + "/tmp"));
}

}  // namespace
