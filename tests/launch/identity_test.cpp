// The container's identity as Docker gives it (runtime/launch/identity.*): its hostname is its
// short id, HOSTNAME and HOME are set, and /etc/hostname, /etc/hosts and /etc/resolv.conf are
// its own - never written, and never mounted, through an image's symlink.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/identity.hpp"
#include "runtime/launch/launch.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
using launch_test::docker_like_policy;

using launch_test::slurp;

namespace {

launch_test::Result run_script(const policy::ir::Policy& p, const std::string& script,
                               const std::string& run_id = "", std::vector<std::string> layers = {},
                               std::vector<std::string> env = {"PATH=/bin"}) {
  auto req = launch_test::busybox_request(p, {"/bin/sh", "-c", script});
  if (!layers.empty()) req.lower_dirs = std::move(layers);
  req.env = std::move(env);
  req.run_id = run_id;
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Off;
  return launch_test::run_request(std::move(req));
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

// A copy of the busybox layer where `path` is a symlink to `target`.
std::string layer_with_symlink(const std::string& name, const std::string& path,
                               const std::string& target) {
  std::string d = launch_test::busybox_copy(name);
  fs::path p = fs::path(d) / path.substr(1);
  fs::remove_all(p);
  fs::create_symlink(target, p);
  return d;
}

}  // namespace

// Docker names a container's host after its short id; the host's own name must not leak in.
TEST(Identity, HostnameIsTheShortIdOfTheRun) {
  SKIP_UNLESS(needs::root());
  auto r = run_script(docker_like_policy(), "hostname; cat /etc/hostname; echo $HOSTNAME",
                      "0123456789abcdef");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "0123456789ab\n0123456789ab\n0123456789ab\n") << r.err;

  auto random = run_script(docker_like_policy(), "hostname");
  ASSERT_EQ(random.status, 0) << random.err;
  ASSERT_EQ(random.out.size(), 13u) << random.out;
  EXPECT_EQ(random.out.find_first_not_of("0123456789abcdef"), 12u) << random.out;
  EXPECT_NE(random.out, host_name() + "\n");
}

TEST(Identity, PolicyHostnameWinsEverywhere) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.process.hostname = "web";
  auto r = run_script(p, "hostname; cat /etc/hostname; echo $HOSTNAME; grep -c web /etc/hosts");
  EXPECT_EQ(r.out, "web\nweb\nweb\n1\n") << r.err;
}

// Docker's /etc/hosts for a container with only its loopback: localhost, the IPv6 names, and the
// hostname on 127.0.1.1 (reachable: lo is up).
TEST(Identity, EtcHostsMapsLocalhostAndTheHostname) {
  SKIP_UNLESS(needs::root());
  auto r = run_script(docker_like_policy(), "cat /etc/hosts", "feedbeef0042");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n"
            "127.0.1.1\tfeedbeef0042\n");
}

// resolv.conf in a network namespace of its own: the host's, without the nameservers on the
// host's loopback (out of the container's reach); Google's when none is left, as Docker does.
TEST(Identity, ResolvConfDropsTheHostsLoopbackNameservers) {
  using policy::launch::identity::container_resolv_conf;
  EXPECT_EQ(container_resolv_conf("search example.org\nnameserver 127.0.0.53\nnameserver "
                                  "10.0.0.2\nnameserver ::1\noptions edns0\n"),
            "search example.org\nnameserver 10.0.0.2\noptions edns0\n");
  std::string fallback = container_resolv_conf("nameserver 127.0.0.53\n");
  EXPECT_NE(fallback.find("nameserver 8.8.8.8\nnameserver 8.8.4.4\n"), std::string::npos);
  EXPECT_EQ(fallback.find("127.0.0.53"), std::string::npos);

  SKIP_UNLESS(needs::root());
  auto r = run_script(docker_like_policy(), "cat /etc/resolv.conf");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, container_resolv_conf(slurp("/etc/resolv.conf")));
}

// Sharing the host's network namespace, the container sees the host's hosts and resolv.conf.
TEST(Identity, SharedNetworkNamespaceGetsTheHostsFiles) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  std::erase_if(p.namespaces.namespaces, [](const policy::ir::NamespaceSpec& n) {
    return n.kind == policy::ir::NamespaceKind::Net;
  });
  auto hosts = run_script(p, "cat /etc/hosts");
  ASSERT_EQ(hosts.status, 0) << hosts.err;
  EXPECT_EQ(hosts.out, slurp("/etc/hosts"));
  auto resolv = run_script(p, "cat /etc/resolv.conf");
  EXPECT_EQ(resolv.out, slurp("/etc/resolv.conf"));
}

// HOME comes from the image's /etc/passwd entry of the user (root: /root), else "/"; HOSTNAME
// is always set; a value the caller (image, -e, policy) gives wins.
TEST(Identity, HomeAndHostnameInTheEnvironment) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  auto root = run_script(p, "echo $HOME $HOSTNAME", "abcabcabcabc");
  EXPECT_EQ(root.out, "/root abcabcabcabc\n") << root.err;

  auto req = launch_test::busybox_request(p, {"/bin/sh", "-c", "echo $HOME; id -u"});
  req.user = "4321";  // in no /etc/passwd entry
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Off;
  auto nobody = launch_test::run_request(std::move(req));
  EXPECT_EQ(nobody.out, "/\n4321\n") << nobody.err;

  auto given = run_script(p, "echo $HOME $HOSTNAME", "abcabcabcabc", {},
                          {"PATH=/bin", "HOME=/srv", "HOSTNAME=mine"});
  EXPECT_EQ(given.out, "/srv mine\n") << given.err;
}

// With a read-only root the files are read-only too; on a writable root they can be edited (in
// the run only), as in Docker.
TEST(Identity, EtcFilesAreReadOnlyOnAReadOnlyRoot) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.rootfs.readonly = true;
  auto ro = run_script(p,
                       "echo x >> /etc/hosts; echo rc=$?; grep -c ' /etc/hosts ro,' "
                       "/proc/self/mountinfo");
  EXPECT_EQ(ro.out, "rc=1\n1\n") << ro.err;
  EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
  auto rw =
      run_script(docker_like_policy(), "echo 10.1.2.3 db >> /etc/hosts && tail -n 1 /etc/hosts");
  EXPECT_EQ(rw.out, "10.1.2.3 db\n") << rw.err;
  EXPECT_FALSE(fs::exists(launch_test::busybox_layer() + "/etc/hosts"));
}

// A hostile image whose /etc/hosts (or /etc itself) is a symlink to a host file: nothing is
// mounted on or written through it; the host's file is untouched, and the launch says so.
TEST(Identity, SymlinkedEtcFilesNeverReachTheHost) {
  SKIP_UNLESS(needs::root());
  std::string host_file = launch_test::scratch() + "/host-secret";
  std::ofstream(host_file) << "host secret\n";
  struct stat before {};
  ASSERT_EQ(::stat(host_file.c_str(), &before), 0);
  std::string host_dir = launch_test::scratch() + "/host-etc";
  fs::create_directories(host_dir);

  for (bool readonly : {false, true}) {
    SCOPED_TRACE(readonly ? "read-only root" : "writable root");
    auto p = docker_like_policy();
    p.rootfs.readonly = readonly;
    auto file = run_script(
        p, "cat /etc/hosts; echo rc=$?; echo x > /etc/hosts; hostname", "",
        {layer_with_symlink(readonly ? "hosts-link-ro" : "hosts-link", "/etc/hosts", host_file)});
    EXPECT_NE(file.out.find("rc=1\n"), std::string::npos) << file.out << file.err;
    EXPECT_EQ(file.out.find("host secret"), std::string::npos) << file.out;
    EXPECT_NE(file.diag.find("/etc/hosts in the image is (or passes through) a symbolic link"),
              std::string::npos)
        << file.diag;
    auto dir =
        run_script(p, "ls /etc; echo rc=$?; cat /etc/hostname; echo $HOME", "",
                   {layer_with_symlink(readonly ? "etc-link-ro" : "etc-link", "/etc", host_dir)});
    EXPECT_NE(dir.out.find("rc=1\n"), std::string::npos) << dir.out << dir.err;
    EXPECT_NE(dir.out.find("\n/\n"), std::string::npos) << dir.out;  // HOME: no passwd
  }
  struct stat after {};
  ASSERT_EQ(::stat(host_file.c_str(), &after), 0);
  EXPECT_EQ(slurp(host_file), "host secret\n");
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  EXPECT_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
  EXPECT_TRUE(fs::is_empty(host_dir)) << "files appeared in the host directory";
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning(host_file).empty());
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning(host_dir).empty());
}

// In a user namespace the image's /etc belongs to an id outside it: files the image has are
// covered as usual, a missing one cannot be created there and is left out with a warning.
TEST(Identity, UserNamespaceCoversTheImagesFilesAndWarnsAboutMissingOnes) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.namespaces.namespaces.push_back({policy::ir::NamespaceKind::User, "", {}});
  p.namespaces.uid_map = {{0, 100000, 65536}};
  p.namespaces.gid_map = {{0, 100000, 65536}};
  std::string layer = launch_test::busybox_copy("userns-etc-files");
  for (const char* f : {"hostname", "hosts", "resolv.conf"}) std::ofstream(layer + "/etc/" + f);
  auto has =
      run_script(p, "cat /etc/hostname; grep -c localhost /etc/hosts", "0a0b0c0d0e0f", {layer});
  EXPECT_EQ(has.out, "0a0b0c0d0e0f\n2\n") << has.err << has.diag;
  auto lacks = run_script(p, "hostname; cat /etc/hostname; echo rc=$?", "0a0b0c0d0e0f");
  EXPECT_EQ(lacks.out, "0a0b0c0d0e0f\nrc=1\n") << lacks.err;
  EXPECT_NE(lacks.diag.find("/etc/hostname is missing in the image and cannot be created"),
            std::string::npos)
      << lacks.diag;
}
