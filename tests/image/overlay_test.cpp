// The kernel is the judge of the whiteout conversion: the cached layers are stacked with
// overlayfs (in a child with its own mount namespace; the host's mounts are never touched) and the
// merged tree must show what the image means.
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "image_test_util.hpp"

using namespace imgtest;
using policy::image::CacheOptions;
using policy::image::prepare_image;

namespace {

// Runs `check` in a forked child inside a new private mount namespace with the layers mounted
// (read-only lowers, no upper) at `merged`; returns the child's exit code or a negative value.
int in_overlay(const std::vector<std::string>& layers, const std::string& merged,
               const std::function<int()>& check) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) _exit(90);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(91);
    std::string lower;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it)  // overlayfs: topmost first
      lower += (lower.empty() ? "" : ":") + *it;
    std::string opts = "lowerdir=" + lower;
    if (::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, opts.c_str()) != 0) _exit(92);
    _exit(check());
  }
  int st = 0;
  if (::waitpid(pid, &st, 0) != pid) return -2;
  return WIFEXITED(st) ? WEXITSTATUS(st) : -3;
}

TEST(Overlay, KernelSeesWhiteoutsAndOpaqueDirectories) {
  TempDir tmp;
  CacheOptions cache{tmp / "cache"};
  std::string l1 = tmp / "l1.tar", l2 = tmp / "l2.tar", l3 = tmp / "l3.tar";
  {
    TarWriter w(l1);
    w.file("etc/keep", "keep\n");
    w.file("etc/gone", "gone\n");
    w.file("dd/a", "a\n");
    w.file("dd/sub/deep", "deep\n");
  }
  {
    TarWriter w(l2);
    w.file("etc/.wh.gone", "");
  }
  {
    TarWriter w(l3);
    w.dir("dd", 0755);
    w.file("dd/.wh..wh..opq", "");
    w.file("dd/b", "b\n");
  }
  OciBuilder b(tmp / "oci");
  std::vector<json> layers;
  std::vector<std::string> diff_ids;
  for (auto& l : {l1, l2, l3}) {
    layers.push_back(b.layer_file(l, "application/vnd.oci.image.layer.v1.tar"));
    diff_ids.push_back(diff_id_of(l));
  }
  b.index({b.manifest(layers, diff_ids)});
  auto img = prepare_image(b.dir(), cache);
  ASSERT_EQ(img.layer_dirs.size(), 3u);
  std::string merged = tmp / "merged";
  fs::create_directories(merged);
  int rc = in_overlay(img.layer_dirs, merged, [&] {
    if (read_file(merged + "/etc/keep") != "keep\n") return 1;
    if (fs::exists(fs::symlink_status(merged + "/etc/gone"))) return 2;  // whiteout applied
    if (fs::exists(fs::symlink_status(merged + "/dd/a"))) return 3;      // opaque: lower hidden
    if (fs::exists(fs::symlink_status(merged + "/dd/sub"))) return 4;
    if (read_file(merged + "/dd/b") != "b\n") return 5;
    return 0;
  });
  if (rc == 90 || rc == 92) GTEST_SKIP() << "cannot create a mount namespace / overlay mount here";
  EXPECT_EQ(rc, 0) << "1: lower file missing, 2: whiteout ignored, 3/4: opaque ignored, 5: upper "
                      "file missing";
  // Without the whiteout layers the lower files are visible: the check can fail.
  std::string empty = tmp / "empty";
  fs::create_directories(empty);
  rc = in_overlay({img.layer_dirs[0], empty}, merged, [&] {
    return fs::exists(merged + "/etc/gone") && fs::exists(merged + "/dd/a") ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
}

TEST(Overlay, BusyboxRunsFromTheStackedLayers) {
  TempDir tmp;
  CacheOptions cache{tmp / "cache"};
  std::string busybox = read_file("/bin/busybox");
  ASSERT_FALSE(busybox.empty()) << "busybox-static is not installed (tools/install-deps)";
  std::string base = tmp / "base.tar.gz", top = tmp / "top.tar";
  {
    TarWriter w(base, "gzip");
    w.file("bin/busybox", busybox, 0755);
    w.symlink("bin/sh", "busybox");
    w.file("etc/motd", "lower\n");
  }
  {
    TarWriter w(top);
    w.file("etc/.wh.motd", "");
    w.file("etc/hostname", "upper\n");
  }
  OciBuilder b(tmp / "oci");
  std::string raw = tmp / "base.raw";
  must_run("gzip -dc " + base + " > " + raw);
  b.index({b.manifest({b.layer_file(base, "application/vnd.oci.image.layer.v1.tar+gzip"),
                       b.layer_file(top, "application/vnd.oci.image.layer.v1.tar")},
                      {diff_id_of(raw), diff_id_of(top)})});
  auto img = prepare_image(b.dir(), cache);
  std::string merged = tmp / "merged";
  fs::create_directories(merged);
  int rc = in_overlay(img.layer_dirs, merged, [&] {
    pid_t pid = ::fork();
    if (pid == 0) {
      if (::chroot(merged.c_str()) != 0 || ::chdir("/") != 0) _exit(10);
      // Shell builtins only: the upper layer's file is read, the whiteout hides the lower one.
      ::execl("/bin/sh", "sh", "-c",
              "read h < /etc/hostname && [ \"$h\" = upper ] && [ ! -e /etc/motd ] && "
              "/bin/busybox true",
              nullptr);
      _exit(11);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 12;
  });
  if (rc == 90 || rc == 92) GTEST_SKIP() << "cannot create a mount namespace / overlay mount here";
  EXPECT_EQ(rc, 0) << "10: chroot failed, 11: exec failed, 1: content differs";
}

}  // namespace
