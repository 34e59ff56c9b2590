// /sys/fs/cgroup inside a container with its own cgroup namespace (mounts::mount_cgroups): the
// run's own limits, read-only, and nothing of the cgroups beside it.
#include <gtest/gtest.h>

#include <string>

#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/cgroup.hpp"
#include "support/kernel_skip.hpp"

namespace cg = policy::launch::cgroup;

namespace {

std::string no_cgroups() {
  return cg::detect().mode == cg::Mode::None ? "this host has no cgroup file system mounted" : "";
}

// The limit file of the memory controller as the container sees it, and the pids one.
std::string limit_files(const cg::Layout& l) {
  if (l.mode == cg::Mode::V2) return "/sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max";
  return "/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max";
}

}  // namespace

TEST(CgroupMount, TheContainerReadsItsOwnLimitsReadOnly) {
  SKIP_UNLESS(needs::root(), no_cgroups());
  const cg::Layout l = cg::detect();
  auto p = launch_test::docker_like_policy();  // new net and cgroup namespaces
  p.resources.memory_bytes = 64ull << 20;
  p.resources.pids = 32;
  const std::string files = limit_files(l);
  const std::string pids = l.mode == cg::Mode::V2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids";
  auto req = launch_test::busybox_request(
      p, {"/bin/sh", "-c",
          "cat " + files + "; ls " + pids + " | grep -c '^policyrun$'; " + "echo 1 > " + pids +
              "/pids.max && echo raised; " +
              "grep -c ' /sys/fs/cgroup.* ro,' /proc/self/mountinfo >/dev/null && echo ro"});
  req.run_id = "cgmount-" + policy::runtime::random_hex(6);
  auto r = launch_test::run_request(req);
  // The policy's limits, nothing named policyrun (the sibling runs) at the root, the write
  // refused, the mounts read-only.
  EXPECT_EQ(r.out, std::to_string(64ull << 20) + "\n32\n0\nro\n") << r.err << r.diag;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
}

TEST(CgroupMount, WithoutACgroupNamespaceNothingIsMountedThere) {
  SKIP_UNLESS(needs::root(), no_cgroups());
  auto p = launch_test::docker_like_policy();
  std::erase_if(p.namespaces.namespaces,
                [](auto& n) { return n.kind == policy::ir::NamespaceKind::Cgroup; });
  p.resources.pids = 32;
  auto r = launch_test::run(p, "ls /sys/fs/cgroup | wc -l");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0\n") << r.err;  // a fresh sysfs (new net namespace) has it empty
}
