// The "done when", end to end through the real policyrun binary: a multi-layer image made
// by umoci (a file deleted in the upper layer: a real whiteout) and converted by skopeo runs as an
// OCI layout and as a docker-archive under policies/docker-default.pol, and shows Docker's bounding
// set, seccomp filter mode and its own pid namespace, and its filter refuses what Docker's refuses
// (unshare(CLONE_NEWUSER), which needs no capability: only the filter stops it); a plain busybox
// rootfs tarball runs `cat /release`.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string env_or_fail(const char* name) {
  const char* v = std::getenv(name);
  if (!v) throw std::runtime_error(std::string("test environment lacks ") + name);
  return v;
}

// Runs a shell command; returns exit status, stdout in *out (stderr goes to the test log).
int sh(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string data;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) data.append(buf.data(), n);
  int st = pclose(p);
  if (out) *out = data;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

class ImagesEndToEnd : public ::testing::Test {
 protected:
  // A set-up that fails must fail every test: an ASSERT here would only skip them (gtest skips a
  // suite whose SetUpTestSuite failed, and CTest counts skips as passed).
  static void SetUpTestSuite() { setup_error = build_images(); }
  void SetUp() override {
    if (!setup_error.empty()) FAIL() << setup_error;
  }
  // Builds the images under `dir`; returns what went wrong ("" when all was built).
  static std::string build_images() {
    char tmpl[] = "/tmp/policyrun-e2e-XXXXXX";
    if (!mkdtemp(tmpl)) return std::string("mkdtemp: ") + std::strerror(errno);
    dir = tmpl;
    for (const char* tool : {"umoci", "skopeo", "tar"})
      if (sh(std::string("command -v ") + tool + " >/dev/null") != 0)
        return std::string(tool) + " is missing: run tools/install-deps";
    if (!fs::exists("/bin/busybox")) return "busybox-static is missing: run tools/install-deps";
    std::string script =
        "set -e; cd " + dir +
        "; mkdir -p rootfs/bin rootfs/etc rootfs/proc rootfs/sys rootfs/dev;"
        "cp /bin/busybox rootfs/bin/; for a in sh cat grep ls readlink; do ln -s busybox "
        "rootfs/bin/$a; done;"
        "echo busybox rootfs > rootfs/release; echo one > rootfs/etc/f1; echo two > rootfs/etc/f2;"
        "tar -C rootfs -cf rootfs.tar .;"
        "umoci init --layout oci; umoci new --image oci:base;"
        "umoci unpack --image oci:base b1 >/dev/null; cp -a rootfs/. b1/rootfs/; umoci repack "
        "--image oci:v1 b1;"
        "umoci unpack --image oci:v1 b2 >/dev/null; rm b2/rootfs/etc/f1; umoci repack --image "
        "oci:v1 b2;"
        "skopeo copy -q oci:oci:v1 docker-archive:docker.tar:busybox:latest;"
        "rm -rf b1 b2";
    std::ofstream(dir + "/build.sh") << script << "\n";
    if (sh("sh " + dir + "/build.sh >&2") != 0)
      return "building the test images failed (" + dir + "/build.sh; its errors are above)";
    return "";
  }
  static void TearDownTestSuite() {
    if (!dir.empty()) fs::remove_all(dir);
  }

  // policyrun under docker-default.pol; returns the command's stdout.
  // `env` (VAR=value ...) is put before the policyrun command.
  std::string run(const std::string& image, const std::string& command, int* status,
                  const std::string& env = "") {
    std::string src = env_or_fail("POLICY_SOURCE_DIR");
    std::string cmd = env + " " + env_or_fail("POLICYRUN") + " --policy " + src +
                      "/policies/docker-default.pol --root " + dir + "/state " + image + " " +
                      command + " 2>" + dir + "/stderr";
    std::string out;
    *status = sh(cmd, &out);
    return out;
  }
  std::string last_stderr() {
    std::ifstream f(dir + "/stderr");
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

  static inline std::string dir;
  static inline std::string setup_error;
};

void expect_docker_posture(const std::string& out) {
  EXPECT_NE(out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << out;
  EXPECT_NE(out.find("Seccomp:\t2"), std::string::npos) << out;
  char host_pid_ns[64] = "";
  ASSERT_GT(readlink("/proc/self/ns/pid", host_pid_ns, sizeof host_pid_ns - 1), 0);
  EXPECT_NE(out.find("pidns=pid:["), std::string::npos) << out;
  EXPECT_EQ(out.find(std::string("pidns=") + host_pid_ns), std::string::npos) << out;
  EXPECT_NE(out.find("self=1\n"), std::string::npos) << out;
  // Docker's filter refuses unshare without CAP_SYS_ADMIN: EPERM, although creating a user
  // namespace needs no capability (`Seccomp: 2` alone would also hold for an allow-all filter).
  EXPECT_NE(out.find("unshare=1\n"), std::string::npos) << out;
  // Layer 2 deleted etc/f1: the whiteout is applied; etc/f2 of layer 1 shows through.
  EXPECT_NE(out.find("f2"), std::string::npos) << out;
  EXPECT_EQ(out.find("f1"), std::string::npos) << out;
}

const char* kPosture =
    "/bin/sh -c 'grep -E \"^(CapBnd|Seccomp):\" /proc/self/status; "
    "echo pidns=$(readlink /proc/self/ns/pid); echo self=$$; ls /etc; "
    "busybox unshare -U true 2>/dev/null; echo unshare=$?'";

}  // namespace

TEST_F(ImagesEndToEnd, MultiLayerOciLayoutRunsUnderDockerDefault) {
  int status = -1;
  std::string out = run(dir + "/oci:v1", kPosture, &status);
  ASSERT_EQ(status, 0) << last_stderr();
  expect_docker_posture(out);
}

TEST_F(ImagesEndToEnd, MultiLayerDockerArchiveRunsUnderDockerDefault) {
  int status = -1;
  std::string out = run(dir + "/docker.tar", kPosture, &status);
  ASSERT_EQ(status, 0) << last_stderr();
  expect_docker_posture(out);
}

// The denial above comes from the filter: with seccomp switched off in policyrun (a test-only
// preload makes the install a no-op), the same command creates the namespace.
TEST_F(ImagesEndToEnd, DockerDefaultsUnshareDenialIsTheSeccompFilters) {
  for (const char* knob :
       {"/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/user/max_user_namespaces"}) {
    std::ifstream in(knob);
    int value = 1;
    if (in >> value && value == 0)
      GTEST_SKIP() << knob << " is 0: this host refuses the user namespace without any filter";
  }
  int status = -1;
  // Explain mode off: no filter at all (with it, the preload installs an allow-all one).
  std::string out = run("--explain-denials=off " + dir + "/oci:v1",
                        "/bin/sh -c 'grep ^Seccomp: /proc/self/status; busybox unshare -U true; "
                        "echo unshare=$?'",
                        &status,
                        std::string("LD_PRELOAD=") + POLICY_TEST_LAYER_OFF_PRELOAD +
                            " POLICY_TEST_LAYER_OFF=seccomp");
  ASSERT_EQ(status, 0) << last_stderr();
  EXPECT_EQ(out, "Seccomp:\t0\nunshare=0\n") << last_stderr();
}

TEST_F(ImagesEndToEnd, BusyboxRootfsTarballRunsCatRelease) {
  int status = -1;
  std::string out = run(dir + "/rootfs.tar", "cat /release", &status);
  ASSERT_EQ(status, 0) << last_stderr();
  EXPECT_EQ(out, "busybox rootfs\n");
  // Nothing of the run is left in the state directory but the layer cache, the policy's
  // compile cache and the container store's lock (the short form is `run --rm`).
  for (auto& e : fs::directory_iterator(dir + "/state"))
    EXPECT_TRUE(e.path().filename() == "layers" || e.path().filename() == "meta" ||
                e.path().filename() == "images" || e.path().filename() == "tmp" ||
                e.path().filename() == "policy-cache" || e.path().filename() == "containers" ||
                fs::is_empty(e.path()))
        << e.path();
  for (auto& e : fs::directory_iterator(dir + "/state/containers"))
    EXPECT_EQ(e.path().filename(), ".lock") << "the run's record is left: " << e.path();
}
