// The writable layer of a container's root (rootfs.cpp): its upper and work directories live on a
// tmpfs of the container's own mount namespace, not on the host's disk, and what the container
// writes there is charged to its own memory cgroup.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;

namespace {

// rootfs::create_state keeps the layer on disk before Linux 6.6 (tmpfs without user.* xattrs).
bool kernel_at_least_6_6() {
  struct utsname u {};
  unsigned major = 0, minor = 0;
  if (::uname(&u) != 0 || std::sscanf(u.release, "%u.%u", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 6);
}

policy::launch::LaunchRequest request(const policy::ir::Policy& p, const std::string& script,
                                      const std::string& state) {
  auto req = launch_test::busybox_request(p, {"/bin/sh", "-c", script});
  req.state_root = state;
  req.run_id = "wl-" + policy::runtime::random_hex(6);
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Off;
  return req;
}

}  // namespace

// While the container runs and writes, the host's <root>/run holds only the run's record: no
// state directory, no upper or work directory (seen from inside through a non-recursive bind of
// the state root, which shows the host's disk and not the container's tmpfs mounted on it).
TEST(WritableLayer, NothingIsCreatedOnTheHostDisk) {
  SKIP_UNLESS(needs::root());
  if (!kernel_at_least_6_6()) GTEST_SKIP() << "before Linux 6.6 the writable layer is on disk";
  const std::string state = launch_test::scratch() + "/writable-layer-disk";
  fs::create_directories(state + "/run");
  auto p = launch_test::docker_like_policy();
  policy::ir::MountSpec bind;
  bind.kind = policy::ir::MountSpec::Bind;
  bind.source = state;
  bind.target = "/hoststate";
  bind.options = {"ro", "norbind"};
  p.rootfs.mounts.push_back(bind);
  auto req =
      request(p, "echo data > /written && ls -a /hoststate/run | sort | tr '\\n' ' '", state);
  const std::string id = req.run_id;
  auto r = launch_test::run_request(std::move(req));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, ". .. " + id + ".lock ") << "the host's " << state << "/run during the run";
  EXPECT_TRUE(fs::is_empty(state + "/run"));
  EXPECT_FALSE(fs::exists(launch_test::busybox_layer() + "/written"));
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning(state).empty());
  fs::remove_all(state);
}

// The writable layer is memory of the container's: with a 32 MiB limit (no swap) a 96 MiB file
// written into the root cannot be completed (the kernel's OOM killer or ENOSPC/ENOMEM stops it);
// on disk it would have gone into the host's page cache and file system, unbounded.
TEST(WritableLayer, WritesAreBoundedByTheContainersMemoryLimit) {
  SKIP_UNLESS(needs::root());
  if (!kernel_at_least_6_6()) GTEST_SKIP() << "before Linux 6.6 the writable layer is on disk";
  if (!fs::exists("/sys/fs/cgroup/memory") && !fs::exists("/sys/fs/cgroup/memory.stat") &&
      !fs::exists("/sys/fs/cgroup/cgroup.controllers"))
    GTEST_SKIP() << "no memory cgroup controller";
  const std::string state = launch_test::scratch() + "/writable-layer-memory";
  auto p = launch_test::docker_like_policy();
  p.resources.memory_bytes = 32ull << 20;
  auto req = request(
      p, "dd if=/dev/zero of=/big bs=1M count=96 2>/dev/null; echo rc=$?; rm -f /big", state);
  auto r = launch_test::run_request(std::move(req));
  EXPECT_EQ(r.out.find("rc=0"), std::string::npos)
      << "96 MiB were written into the root of a container limited to 32 MiB: " << r.out << r.err;
  EXPECT_FALSE(fs::exists(launch_test::busybox_layer() + "/big"));
  EXPECT_TRUE(!fs::exists(state + "/run") || fs::is_empty(state + "/run"));
  fs::remove_all(state);
}

// In a user namespace overlayfs keeps its whiteouts' and opaque directories' marks in user.*
// extended attributes (userxattr), which the tmpfs must hold: a file of the image removed and a
// directory of the image replaced by a new one of the same name stay so in the merged root. (Files
// of the host's root are unmapped here and cannot be copied up: the layer's belong to the mapped
// root.)
TEST(WritableLayer, WhiteoutsAndOpaqueDirectoriesInAUserNamespace) {
  SKIP_UNLESS(needs::root());
  const std::string top = launch_test::new_layer("writable-layer-userns");
  fs::create_directories(top + "/data/sub");
  std::ofstream(top + "/data/old") << "old";
  std::ofstream(top + "/data/sub/x") << "x";
  for (const char* d : {"/data", "/data/old", "/data/sub", "/data/sub/x"})  // the mapped root's
    ASSERT_EQ(::lchown((top + d).c_str(), 100000, 100000), 0) << d;
  auto p = launch_test::docker_like_policy();
  p.namespaces.namespaces.push_back({policy::ir::NamespaceKind::User, "", {}});
  p.namespaces.uid_map = {{0, 100000, 65536}};
  p.namespaces.gid_map = {{0, 100000, 65536}};
  auto r = launch_test::run(p,
                            "rm /data/old && rm -rf /data/sub && mkdir /data/sub && "
                            "echo new > /data/sub/y && ls /data /data/sub",
                            {launch_test::busybox_layer(), top});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "/data:\nsub\n\n/data/sub:\ny\n") << r.err;
  EXPECT_TRUE(fs::exists(top + "/data/old"));
  EXPECT_TRUE(fs::exists(top + "/data/sub/x"));
}
