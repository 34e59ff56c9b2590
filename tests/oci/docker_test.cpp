// Debian's Docker daemon (docker.io 20.10) drives policyrun as an OCI runtime
// (`docker run --runtime policyrun`, the runtime registered with `--add-runtime`): exit codes,
// the posture read from inside judged against runc for the same command, detached containers
// with exec, stop and rm. Docker gives every container with a network namespace of its own a
// prestart hook (libnetwork-setkey), and policyrun runs no hooks: such a container is refused,
// and the others join a network namespace Docker leaves alone (docs/oci-runtime.md, "Docker").
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "launch/launch_fixture.hpp"
#include "oci/docker_fixture.hpp"
#include "runtime/launch/cgroup.hpp"
#include "services/service_fixture.hpp"

namespace fs = std::filesystem;
using oci_test::Cmd;
using oci_test::Dockerd;

namespace {

constexpr const char* kImage = "policyrun.test/redis:1";
constexpr const char* kHolder = "policyrun-test-netns";
// The lines of /proc/self/status that say how the process is confined.
constexpr const char* kPosture =
    "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Uid|Gid|Groups):' /proc/self/status";

class DockerRuntime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!Dockerd::why_not().empty()) return;
    dk_ = new Dockerd(launch_test::policyrun_binary());
    const services::Image& img = services::image("redis");
    ASSERT_EQ(img.format, "oci") << "the redis test image is an OCI layout DIR:TAG";
    dk_->load_layout(img.path, kImage);
    // A network namespace with loopback only, held by a runc container (runc runs Docker's
    // network hook): policyrun's containers join it with --network container:NAME.
    Cmd h =
        dk_->docker({"run", "-d", "--name", kHolder, "--network", "none", kImage, "sleep", "600"});
    ASSERT_EQ(h.status, 0) << h.out << h.err << dk_->log();
  }
  static void TearDownTestSuite() {
    if (dk_) dk_->docker({"rm", "-f", kHolder});
    delete dk_;
    dk_ = nullptr;
  }
  void SetUp() override {
    const std::string why = Dockerd::why_not();
    if (!why.empty()) GTEST_SKIP() << why;
    ASSERT_NE(dk_, nullptr);
  }

  // `docker run --rm --runtime RUNTIME --network container:HOLDER [options] IMAGE command...`
  static Cmd run(const std::string& runtime, const std::vector<std::string>& command,
                 const std::vector<std::string>& options = {}) {
    std::vector<std::string> args = {"run",   "--rm",      "--runtime",
                                     runtime, "--network", std::string("container:") + kHolder};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(kImage);
    args.insert(args.end(), command.begin(), command.end());
    return dk_->docker(args);
  }

  // policyrun's state and cgroups of container `id` are gone.
  static void expect_nothing_left(const std::string& id) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dk_->dir() + "/exec", ec))
      EXPECT_NE(e.path().filename().string(), id) << "left: " << e.path();
    for (const auto& d : launch_test::policyrun_cgroup_dirs())
      EXPECT_EQ(d.find("oci-" + id), std::string::npos) << "cgroup left: " << d;
  }

  static Dockerd* dk_;
};
Dockerd* DockerRuntime::dk_ = nullptr;

TEST_F(DockerRuntime, NetworkNoneCarriesAPrestartHookThatPolicyrunRefuses) {
  // Docker adds `libnetwork-setkey` as a prestart hook to every container whose network
  // namespace it creates, --network none included: policyrun refuses the bundle, and says why.
  Cmd r = dk_->docker(
      {"run", "--rm", "--runtime", "policyrun", "--network", "none", kImage, "sh", "-c", "exit 7"});
  EXPECT_EQ(r.status, 125) << r.out << r.err;
  EXPECT_NE(r.err.find("hooks.prestart: hooks are not supported by policyrun"), std::string::npos)
      << r.err;
  Cmd ps = dk_->docker({"ps", "-aq", "--filter", "status=created"});
  EXPECT_EQ(ps.out, "") << "a created container is left";
}

TEST_F(DockerRuntime, RunsTheImageAndReportsItsExitCode) {
  Cmd r = run("policyrun", {"sh", "-c", "echo from inside; exit 7"});
  EXPECT_EQ(r.status, 7) << r.out << r.err;
  EXPECT_NE(r.out.find("from inside"), std::string::npos) << r.out << r.err;
  // -t: the container's own pty, its master through the console socket to the shim.
  Cmd t = run("policyrun", {"sh", "-c", "tty; exit 5"}, {"-t"});
  EXPECT_EQ(t.status, 5) << t.out << t.err;
  EXPECT_NE(t.out.find("/dev/pts/0"), std::string::npos) << t.out << t.err;
}

TEST_F(DockerRuntime, PostureFromInsideIsRuncsForTheSameCommand) {
  // Docker's default seccomp profile and capabilities, with no-new-privileges asked for.
  const std::vector<std::string> opts = {"--security-opt", "no-new-privileges"};
  Cmd ours = run("policyrun", {"sh", "-c", kPosture}, opts);
  Cmd runc = run("runc", {"sh", "-c", kPosture}, opts);
  ASSERT_EQ(ours.status, 0) << ours.out << ours.err;
  ASSERT_EQ(runc.status, 0) << runc.out << runc.err;
  EXPECT_EQ(ours.out, runc.out);
  EXPECT_NE(ours.out.find("Seccomp:\t2"), std::string::npos) << ours.out;
  EXPECT_NE(ours.out.find("NoNewPrivs:\t1"), std::string::npos) << ours.out;
  // Without the option, Docker asks for no no_new_privileges, and policyrun sets none.
  Cmd plain = run("policyrun", {"sh", "-c", kPosture});
  Cmd plain_runc = run("runc", {"sh", "-c", kPosture});
  EXPECT_EQ(plain.out, plain_runc.out);
  EXPECT_NE(plain.out.find("NoNewPrivs:\t0"), std::string::npos) << plain.out;
  // The kernel refuses what the profile refuses: unshare needs CAP_SYS_ADMIN, not kept.
  Cmd refused = run("policyrun", {"sh", "-c", "unshare -U true 2>&1; echo rc=$?"});
  EXPECT_NE(refused.out.find("rc=1"), std::string::npos) << refused.out << refused.err;
}

// A file of `pid`'s cgroup in the v1 hierarchy of `controller` (`v1_file`), else in the cgroup2
// one (`v2_file`), read from the host (the container's /sys/fs/cgroup shows its hierarchy's root).
std::string cgroup_file(pid_t pid, const std::string& controller, const std::string& v1_file,
                        const std::string& v2_file) {
  namespace cg = policy::launch::cgroup;
  const cg::Layout l = cg::detect();
  const std::string own = launch_test::slurp("/proc/" + std::to_string(pid) + "/cgroup");
  if (auto m = l.v1_mounts.find(controller); m != l.v1_mounts.end())
    return launch_test::slurp(
        cg::own_dir(m->second, l.v1_roots.at(controller), cg::own_path(own, controller)) + "/" +
        v1_file);
  return launch_test::slurp(cg::own_dir(l.v2_mount, l.v2_root, cg::own_path(own, "")) + "/" +
                            v2_file);
}

TEST_F(DockerRuntime, DetachedContainerExecStopRm) {
  Cmd d = dk_->docker({"run", "-d", "--runtime", "policyrun", "--network",
                       std::string("container:") + kHolder, "--pids-limit", "20", "-m", "64m",
                       kImage, "sh", "-c", "echo started; exec sleep 300"});
  ASSERT_EQ(d.status, 0) << d.out << d.err;
  const std::string id = d.out.substr(0, d.out.find_first_of("\r\n"));
  ASSERT_EQ(id.size(), 64u) << d.out;

  Cmd e = dk_->docker({"exec", id, "sh", "-c", "grep ^Seccomp: /proc/self/status; exit 3"});
  EXPECT_EQ(e.status, 3) << e.out << e.err;
  EXPECT_NE(e.out.find("Seccomp:\t2"), std::string::npos) << e.out << e.err;
  // -m and --pids-limit are in the container's cgroups, and the kernel holds the process count.
  Cmd pid = dk_->docker({"inspect", "-f", "{{.State.Pid}}", id});
  const pid_t p = static_cast<pid_t>(std::atoi(pid.out.c_str()));
  ASSERT_GT(p, 0) << pid.out << pid.err;
  EXPECT_EQ(cgroup_file(p, "pids", "pids.max", "pids.max"), "20\n");
  EXPECT_EQ(cgroup_file(p, "memory", "memory.limit_in_bytes", "memory.max"), "67108864\n");
  Cmd forks = dk_->docker(
      {"exec", id, "sh", "-c", "for i in $(seq 30); do sleep 20 & done 2>&1; echo end"});
  EXPECT_NE(forks.out.find("fork"), std::string::npos) << forks.out << forks.err;
  // The container's processes as Docker lists them (policyrun ps).
  Cmd top = dk_->docker({"top", id});
  EXPECT_NE(top.out.find("sleep 300"), std::string::npos) << top.out << top.err;

  Cmd logs = dk_->docker({"logs", id});
  EXPECT_EQ(logs.out, "started\n") << logs.err;

  // sleep ignores SIGTERM as pid 1: Docker sends SIGKILL after the timeout.
  Cmd s = dk_->docker({"stop", "-t", "1", id});
  EXPECT_EQ(s.status, 0) << s.out << s.err;
  Cmd code = dk_->docker({"inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id});
  EXPECT_EQ(code.out, "exited 137\n") << code.err;
  Cmd r = dk_->docker({"rm", id});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  expect_nothing_left(id);
}

}  // namespace
