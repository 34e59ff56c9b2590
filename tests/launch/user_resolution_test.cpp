// `policyrun -u NAME`: the user is resolved in the image as the container sees it (merged layers,
// symlinks resolved inside the root), and its supplementary groups are the container's.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "launch/launch_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;

using launch_test::shell_quote;

namespace {

const char* kPolicy = R"(policy box {
  syscalls default allow { }
  capabilities keep { CHOWN, SETUID, SETGID }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  process { no_new_privileges }
  rootfs { readonly }
}
)";

class UserResolution : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
    pol_ = launch_test::scratch() + "/user-resolution.pol";
    std::ofstream(pol_) << kPolicy;
  }

  launch_test::CliResult run(const std::string& user, const std::string& image,
                             const std::string& script) {
    return launch_test::run_policyrun({"--policy", pol_, "--root",
                                       launch_test::scratch() + "/user-resolution-state",
                                       "--apparmor=off", "-u", user, image, "sh", "-c", script});
  }

  std::string pol_;
};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A `docker save` archive of `layers` (lowest first), each tarred as it is on disk.
std::string docker_save(const std::string& name, const std::vector<std::string>& layers) {
  std::string dir = launch_test::new_layer(name + "-archive");
  std::string manifest_layers;
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string id = "l" + std::to_string(i);
    fs::create_directories(dir + "/" + id);
    std::string cmd = "tar -C " + shell_quote(layers[i]) + " -cf " +
                      shell_quote(dir + "/" + id + "/layer.tar") + " .";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    manifest_layers += std::string(i ? "," : "") + "\"" + id + "/layer.tar\"";
  }
  write(dir + "/config.json", R"({"architecture":"amd64","os":"linux","config":{}})");
  write(dir + "/manifest.json", "[{\"Config\":\"config.json\",\"RepoTags\":[\"users:latest\"]," +
                                    std::string("\"Layers\":[") + manifest_layers + "]}]");
  std::string tar = launch_test::scratch() + "/" + name + ".tar";
  std::string cmd = "tar -C " + shell_quote(dir) + " -cf " + shell_quote(tar) + " .";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return tar;
}

// Runs `script` through launch() in a container of `image` as `user` under `policy`.
launch_test::Result run_as(const policy::ir::Policy& policy, const std::string& image,
                           const std::string& user, const std::string& script) {
  auto req = launch_test::busybox_request(policy, {"/bin/sh", "-c", script});
  req.lower_dirs = {image};
  req.user = user;
  return launch_test::run_request(req);
}

// A busybox image with these /etc/passwd and /etc/group.
std::string image_with_users(const std::string& name, const std::string& passwd,
                             const std::string& group) {
  std::string image = launch_test::busybox_copy(name);
  write(image + "/etc/passwd", passwd);
  write(image + "/etc/group", group);
  return image;
}

// The launch of `policy` on `image` stops with an error that says `message`.
void expect_refused(const policy::ir::Policy& policy, const std::string& image,
                    const std::string& message) {
  try {
    run_as(policy, image, "", "true");
    ADD_FAILURE() << "the launch should have been refused with: " << message;
  } catch (const policy::Error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

}  // namespace

// An image whose /etc/passwd is an absolute symlink to a file on the host naming "evil": inside
// the container the link points at the image's own (missing) file, so "evil" is unknown.
TEST_F(UserResolution, PasswdSymlinkToAHostFileIsNotFollowedOntoTheHost) {
  std::string host_dir = launch_test::scratch() + "/host-side-" + std::to_string(::getpid());
  fs::create_directories(host_dir);
  write(host_dir + "/hostpasswd", "evil:x:4242:4242::/:/bin/sh\n");
  std::string image = launch_test::busybox_copy("passwd-to-host");
  fs::remove(image + "/etc/passwd");
  fs::create_symlink(host_dir + "/hostpasswd", image + "/etc/passwd");

  auto r = run("evil", image, "id -u");
  EXPECT_EQ(r.status, 125) << r.out << r.err;
  EXPECT_EQ(r.out.find("4242"), std::string::npos) << "resolved from the host's file: " << r.out;
  EXPECT_NE(r.err.find("'evil' is not in the image's /etc/passwd"), std::string::npos) << r.err;
}

// The upper layer deletes /etc/passwd (a whiteout): the lower layer's user is gone.
TEST_F(UserResolution, UpperLayerWhiteoutOfPasswdHidesTheLowerLayersUsers) {
  std::string lower = launch_test::busybox_copy("passwd-lower");
  write(lower + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nghost:x:4343:4343::/:/bin/sh\n");
  std::string upper = launch_test::new_layer("passwd-whiteout");
  fs::create_directories(upper + "/etc");
  write(upper + "/etc/.wh.passwd", "");
  std::string image = docker_save("passwd-whiteout", {lower, upper});

  auto gone = run("ghost", image, "id -u");
  EXPECT_EQ(gone.status, 125) << gone.out << gone.err;
  EXPECT_EQ(gone.out.find("4343"), std::string::npos) << "a whited-out user ran: " << gone.out;
  EXPECT_NE(gone.err.find("'ghost' is not in the image's /etc/passwd"), std::string::npos)
      << gone.err;
  // The merged view the container sees has no /etc/passwd at all.
  auto seen = run("0", image, "test -e /etc/passwd && echo present || echo absent");
  EXPECT_EQ(seen.status, 0) << seen.err;
  EXPECT_EQ(seen.out, "absent\n");
}

// A user listed as a member of groups in /etc/group runs with them as its supplementary groups
// (Groups: of /proc/self/status), its primary gid from /etc/passwd and HOME from its entry.
TEST_F(UserResolution, SupplementaryGroupsFromEtcGroupAreTheContainers) {
  std::string image = launch_test::busybox_copy("groups-member");
  write(image + "/etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\nmember:x:4545:4546::/home/member:/bin/sh\n");
  write(image + "/etc/group",
        "root:x:0:\nmember:x:4546:\nwheel:x:5001:member\nvideo:x:5002:other,member\n"
        "audio:x:5003:other\n");

  auto r =
      run("member", image, "id -u; id -g; grep '^Groups:' /proc/self/status; echo \"HOME=$HOME\"");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "4545\n4546\nGroups:\t5001 5002 \nHOME=/home/member\n") << r.err;

  // An explicit group replaces the /etc/group memberships, as Docker does.
  auto g = run("member:audio", image, "id -g; grep '^Groups:' /proc/self/status");
  EXPECT_EQ(g.status, 0) << g.err;
  EXPECT_EQ(g.out, "5003\nGroups:\t \n") << g.err;  // the kernel ends the list with a space
}

// The policy's ids win over the image's user: a policy uid brings its own passwd entry's gid,
// groups and HOME; a policy gid and groups join the image user's memberships.
TEST(UserResolutionPolicy, ThePolicysUidGidAndGroupsWinOverTheImagesUser) {
  SKIP_UNLESS(needs::root());
  std::string image =
      image_with_users("groups-policy",
                       "root:x:0:0:root:/root:/bin/sh\nmember:x:4545:4546::/home/member:/bin/sh\n"
                       "other:x:4600:4601::/home/other:/bin/sh\n",
                       "root:x:0:\nwheel:x:5001:member\nstaff:x:5005:other\n");
  const std::string script = "id -u; id -g; grep '^Groups:' /proc/self/status; echo $HOME";

  auto p = launch_test::docker_like_policy();
  p.process.uid = 4600;
  auto r = run_as(p, image, "member", script);
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  EXPECT_EQ(r.out, "4600\n4601\nGroups:\t5005 \n/home/other\n") << r.err;

  auto q = launch_test::docker_like_policy();
  q.process.gid = 7;
  q.process.supplementary_groups = {8};
  auto r2 = run_as(q, image, "member", script);
  EXPECT_EQ(r2.status, 0) << r2.err << r2.diag;
  EXPECT_EQ(r2.out, "4545\n7\nGroups:\t8 5001 \n/home/member\n") << r2.err;
}

// `user other` in the policy names a user of the image: its uid, gid, groups and HOME come from
// the image's /etc/passwd and /etc/group (Debian's system users have no fixed ids), and it wins
// over the image's User; a name the image does not have stops the launch.
TEST(UserResolutionPolicy, ThePolicysUserNameIsLookedUpInTheImage) {
  SKIP_UNLESS(needs::root());
  std::string image =
      image_with_users("groups-policy-name",
                       "root:x:0:0:root:/root:/bin/sh\nmember:x:4545:4546::/home/member:/bin/sh\n"
                       "other:x:4600:4601::/home/other:/bin/sh\n",
                       "root:x:0:\nwheel:x:5001:member\nstaff:x:5005:other\n");
  const std::string script = "id -u; id -g; grep '^Groups:' /proc/self/status; echo $HOME";

  auto p = launch_test::docker_like_policy();
  p.process.user = "other";
  auto r = run_as(p, image, "member", script);
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  EXPECT_EQ(r.out, "4600\n4601\nGroups:\t5005 \n/home/other\n") << r.err;

  auto q = launch_test::docker_like_policy();
  q.process.user = "other:wheel";
  auto r2 = run_as(q, image, "", script);
  EXPECT_EQ(r2.status, 0) << r2.err << r2.diag;
  // With a group named, the user's own memberships are left out, as `-u user:group` does.
  EXPECT_EQ(r2.out, "4600\n5001\nGroups:\t \n/home/other\n") << r2.err;

  auto missing = launch_test::docker_like_policy();
  missing.process.user = "redis";
  expect_refused(missing, image, "the policy's user: User 'redis' is not in the image's");
}

// A tmpfs over a directory of the image keeps that directory's owner and mode (a Docker volume's
// rule), so a service user whose id the image chose can write its own directory; `uid=NAME` and
// `gid=NAME` name the image's users; over a missing path the tmpfs is tmpfs's 1777 root.
TEST(UserResolutionPolicy, TmpfsTakesTheImageDirectorysOwnerAndNamedIds) {
  SKIP_UNLESS(needs::root());
  std::string image = image_with_users(
      "tmpfs-owner", "root:x:0:0:root:/root:/bin/sh\nother:x:4600:4601::/home/other:/bin/sh\n",
      "root:x:0:\nwheel:x:5001:\n");
  fs::create_directories(image + "/srv/data");
  ASSERT_EQ(::chown((image + "/srv/data").c_str(), 4600, 4601), 0);
  ASSERT_EQ(::chmod((image + "/srv/data").c_str(), 0750), 0);
  auto p = launch_test::docker_like_policy();
  using policy::ir::MountSpec;
  p.rootfs.mounts.push_back({MountSpec::Tmpfs, "", "/srv/data", {"size=1M"}, {}});
  p.rootfs.mounts.push_back(
      {MountSpec::Tmpfs, "", "/srv/named", {"uid=other", "gid=wheel", "mode=0700"}, {}});
  p.rootfs.mounts.push_back({MountSpec::Tmpfs, "", "/srv/new", {"size=1M"}, {}});
  auto r = run_as(p, image, "",
                  "stat -c '%u %g %a' /srv/data /srv/named /srv/new; "
                  "grep -c ' /srv/data tmpfs ' /proc/self/mounts");
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  EXPECT_EQ(r.out, "4600 4601 750\n4600 5001 700\n0 0 1777\n1\n") << r.err;

  auto bad = launch_test::docker_like_policy();
  bad.rootfs.mounts.push_back({MountSpec::Tmpfs, "", "/srv/x", {"uid=nobody-here"}, {}});
  expect_refused(bad, image, "mount /srv/x: User 'nobody-here' is not in the image's");
}

// In a new user namespace setgroups is denied: the image user's /etc/group memberships are left
// out (as runc does) instead of failing the launch; uid and gid still come from /etc/passwd.
TEST(UserResolutionPolicy, InANewUserNamespaceTheImageUsersGroupsAreLeftOut) {
  SKIP_UNLESS(needs::root());
  std::string image = image_with_users(
      "groups-userns", "root:x:0:0:root:/root:/bin/sh\nmember:x:4545:4546::/home/member:/bin/sh\n",
      "root:x:0:\nwheel:x:5001:member\n");
  auto p = launch_test::docker_like_policy();
  p.namespaces.namespaces.push_back({policy::ir::NamespaceKind::User, "", {}});
  p.namespaces.uid_map = {{0, 100000, 65536}};
  p.namespaces.gid_map = {{0, 100000, 65536}};
  auto r = run_as(p, image, "member", "id -u; id -g; cat /proc/self/setgroups");
  EXPECT_EQ(r.status, 0) << r.err << r.diag;
  EXPECT_EQ(r.out, "4545\n4546\ndeny\n") << r.err;
}
