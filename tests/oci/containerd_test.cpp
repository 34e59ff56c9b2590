// containerd from Debian drives policyrun as its runtime (`ctr run --runc-binary policyrun`):
// the project's real test images run, exec, are killed and deleted through containerd's runc
// shim, with exit codes as containerd reports them and the posture read from inside, judged
// against runc running the very same bundle (docs/oci-runtime.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <thread>

#include "launch/launch_fixture.hpp"
#include "oci/containerd_fixture.hpp"
#include "services/service_fixture.hpp"

namespace fs = std::filesystem;
using oci_test::Cmd;
using oci_test::Containerd;

namespace {

constexpr const char* kImage = "policyrun.test/redis:1";

class ContainerdRuntime : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!Containerd::why_not().empty()) return;
    ctd_ = new Containerd();
    const services::Image& img = services::image("redis");
    ASSERT_EQ(img.format, "oci") << "the redis test image is an OCI layout DIR:TAG";
    ctd_->import_layout(img.path.substr(0, img.path.rfind(':')), kImage);
  }
  static void TearDownTestSuite() {
    delete ctd_;
    ctd_ = nullptr;
  }
  void SetUp() override {
    const std::string why = Containerd::why_not();
    if (!why.empty()) GTEST_SKIP() << why;
    ASSERT_NE(ctd_, nullptr);
  }

  static std::string policyrun() { return launch_test::policyrun_binary(); }

  // `ctr run --rm` of the test image with `runtime`: options, the container id, the command.
  static Cmd run(const std::string& runtime, const std::string& id,
                 const std::vector<std::string>& command,
                 const std::vector<std::string>& options = {}) {
    std::vector<std::string> args = {"run", "--rm"};
    for (const auto& o : ctd_->runtime_options(runtime, id)) args.push_back(o);
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(kImage);
    args.push_back(id);
    args.insert(args.end(), command.begin(), command.end());
    return ctd_->ctr(args);
  }

  // The lines of /proc/self/status that say how a process is confined.
  static std::string posture(const std::string& status_text) {
    std::string out;
    std::istringstream in(status_text);
    for (std::string line; std::getline(in, line);)
      if (std::regex_search(line, std::regex("^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|"
                                             "Uid|Gid|Groups):")))
        out += line + "\n";
    return out;
  }

  // The container's cgroups and state are gone once containerd has deleted it.
  static void expect_nothing_left(const std::string& id) {
    EXPECT_FALSE(fs::exists(ctd_->runtime_root(policyrun()) + "/policyrun-test/" + id))
        << "policyrun's state of " << id << " is left";
    for (const auto& d : launch_test::policyrun_cgroup_dirs())
      EXPECT_EQ(d.find("oci-" + id), std::string::npos) << "cgroup left: " << d;
  }

  static Containerd* ctd_;
};
Containerd* ContainerdRuntime::ctd_ = nullptr;

TEST_F(ContainerdRuntime, RunsTheImageAndReportsItsExitCode) {
  Cmd r = run(policyrun(), "exit-code", {"sh", "-c", "echo from inside; exit 7"});
  EXPECT_EQ(r.status, 7) << r.out << r.err;
  EXPECT_NE(r.out.find("from inside"), std::string::npos) << r.out << r.err;
  expect_nothing_left("exit-code");
}

TEST_F(ContainerdRuntime, PostureFromInsideIsRuncsForTheSameBundle) {
  // containerd's default seccomp profile and capabilities, read by the process itself: policyrun
  // must confine exactly as runc does with the same config.json.
  const std::vector<std::string> cmd = {"sh", "-c",
                                        "cat /proc/self/status; readlink /proc/self/ns/pid "
                                        "/proc/self/ns/net /proc/self/ns/mnt"};
  Cmd ours = run(policyrun(), "posture-ours", cmd, {"--seccomp"});
  Cmd runc = run("/usr/sbin/runc", "posture-runc", cmd, {"--seccomp"});
  ASSERT_EQ(ours.status, 0) << ours.out << ours.err;
  ASSERT_EQ(runc.status, 0) << runc.out << runc.err;
  EXPECT_EQ(posture(ours.out), posture(runc.out));
  EXPECT_NE(ours.out.find("Seccomp:\t2"), std::string::npos) << ours.out;
  EXPECT_NE(ours.out.find("NoNewPrivs:\t1"), std::string::npos) << ours.out;
  // Its own pid, net and mount namespaces, none of them the host's.
  for (const char* ns : {"pid", "net", "mnt"}) {
    char host[64] = {};
    const std::string link = std::string("/proc/self/ns/") + ns;
    ASSERT_GT(::readlink(link.c_str(), host, sizeof host - 1), 0);
    EXPECT_NE(ours.out.find(std::string(ns) + ":["), std::string::npos) << ours.out;
    EXPECT_EQ(ours.out.find(host), std::string::npos) << ns << " is the host's: " << ours.out;
  }
  // The kernel refuses what the profile refuses: unshare needs CAP_SYS_ADMIN, which is not kept.
  Cmd refused =
      run(policyrun(), "refused", {"sh", "-c", "unshare -U true 2>&1; echo rc=$?"}, {"--seccomp"});
  EXPECT_NE(refused.out.find("rc=1"), std::string::npos) << refused.out << refused.err;
}

TEST_F(ContainerdRuntime, DetachedServiceExecKillDelete) {
  const std::string id = "redis-detached";
  std::vector<std::string> args = {"run", "-d"};
  for (const auto& o : ctd_->runtime_options(policyrun(), id)) args.push_back(o);
  args.insert(args.end(), {"--seccomp", kImage, id, "redis-server", "--port", "6379",
                           "--protected-mode", "no", "--save", ""});
  Cmd started = ctd_->ctr(args);
  ASSERT_EQ(started.status, 0) << started.out << started.err << ctd_->log();
  // The task is RUNNING with a pid, redis answers an exec'd client inside the container.
  Cmd tasks = ctd_->ctr({"tasks", "ls"});
  EXPECT_NE(tasks.out.find(id), std::string::npos) << tasks.out;
  EXPECT_NE(tasks.out.find("RUNNING"), std::string::npos) << tasks.out;
  Cmd pong;
  for (int i = 0; i < 50; ++i) {
    pong = ctd_->ctr({"tasks", "exec", "--exec-id", "ping" + std::to_string(i), id, "redis-cli",
                      "-p", "6379", "ping"});
    if (pong.out.find("PONG") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(pong.out.find("PONG"), std::string::npos) << pong.out << pong.err;
  // An exec'd process has the container's confinement, and its exit code comes back.
  Cmd status = ctd_->ctr({"tasks", "exec", "--exec-id", "status", id, "sh", "-c",
                          "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; exit 3"});
  EXPECT_EQ(status.status, 3) << status.out << status.err;
  EXPECT_NE(status.out.find("Seccomp:\t2"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("NoNewPrivs:\t1"), std::string::npos) << status.out;
  Cmd ps = ctd_->ctr({"tasks", "ps", id});
  EXPECT_EQ(ps.status, 0) << ps.out << ps.err;
  // SIGTERM: redis exits; containerd sees it stopped; delete reports the exit status.
  Cmd kill = ctd_->ctr({"tasks", "kill", "-s", "SIGTERM", id});
  EXPECT_EQ(kill.status, 0) << kill.out << kill.err;
  bool stopped = false;
  for (int i = 0; i < 100 && !stopped; ++i) {
    stopped = ctd_->ctr({"tasks", "ls"}).out.find("STOPPED") != std::string::npos;
    if (!stopped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(stopped) << ctd_->ctr({"tasks", "ls"}).out;
  Cmd del = ctd_->ctr({"tasks", "delete", id});
  EXPECT_EQ(del.status, 0) << del.out << del.err;
  Cmd rm = ctd_->ctr({"containers", "rm", id});
  EXPECT_EQ(rm.status, 0) << rm.out << rm.err;
  expect_nothing_left(id);
}

TEST_F(ContainerdRuntime, AnnotationPolicyIsEnforcedOnTopAndABadOneFailsClosed) {
  // The policy of the annotation drops NET_RAW and limits pids: both are seen from inside,
  // while containerd's config alone keeps NET_RAW.
  const std::string pol = launch_test::scratch() + "/oci-annotation.pol";
  std::ofstream(pol) << "policy tight {\n"
                        "  syscalls default allow { errno(EACCES) mkdir, mkdirat }\n"
                        "  capabilities keep { CHOWN, SETUID, SETGID }\n"
                        "  resources { pids 64 }\n"
                        "}\n";
  Cmd r = run(policyrun(), "annotated",
              {"sh", "-c", "grep CapBnd /proc/self/status; mkdir /tmp/d 2>&1; echo mkdir=$?"},
              {"--annotation", "org.policyrun.policy=" + pol});
  ASSERT_EQ(r.status, 0) << r.out << r.err << ctd_->log();
  EXPECT_NE(r.out.find("CapBnd:\t00000000000000c1"), std::string::npos) << r.out;
  // The annotation's filter refuses what containerd's config allows.
  EXPECT_NE(r.out.find("Permission denied"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("mkdir=1"), std::string::npos) << r.out;
  // The policy's pids limit is on the container's cgroup (read from the host: containerd's config
  // gives the container no cgroup namespace of its own).
  std::vector<std::string> args = {"run", "-d"};
  for (const auto& o : ctd_->runtime_options(policyrun(), "annotated-d")) args.push_back(o);
  args.insert(args.end(), {"--annotation", "org.policyrun.policy=" + pol, kImage, "annotated-d",
                           "sleep", "60"});
  Cmd d = ctd_->ctr(args);
  ASSERT_EQ(d.status, 0) << d.out << d.err;
  Cmd state =
      oci_test::run({policyrun(), "--root", ctd_->runtime_root(policyrun()) + "/policyrun-test",
                     "state", "annotated-d"});
  ASSERT_EQ(state.status, 0) << state.err;
  const std::string pid = std::to_string(nlohmann::json::parse(state.out).at("pid").get<int>());
  std::string pids_cgroup;
  std::istringstream cgroups(launch_test::slurp("/proc/" + pid + "/cgroup"));
  for (std::string line; std::getline(cgroups, line);)
    if (line.find(":pids:") != std::string::npos) pids_cgroup = line.substr(line.rfind(':') + 1);
  if (!pids_cgroup.empty())
    EXPECT_EQ(launch_test::slurp("/sys/fs/cgroup/pids" + pids_cgroup + "/pids.max"), "64\n");
  else  // cgroup v2 only
    EXPECT_EQ(
        launch_test::slurp("/sys/fs/cgroup" +
                           launch_test::slurp("/proc/" + pid + "/cgroup").substr(3) + "/pids.max"),
        "64\n");
  EXPECT_EQ(ctd_->ctr({"tasks", "kill", "-s", "SIGKILL", "annotated-d"}).status, 0);
  for (int i = 0; i < 100 && ctd_->ctr({"tasks", "delete", "annotated-d"}).status != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(ctd_->ctr({"containers", "rm", "annotated-d"}).status, 0);
  expect_nothing_left("annotated-d");

  // A policy that does not exist: containerd reports policyrun's error, nothing is started
  // and nothing is left behind.
  Cmd bad = run(policyrun(), "bad-annotation", {"true"},
                {"--annotation", "org.policyrun.policy=/nonexistent/x.pol"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE((bad.out + bad.err).find("/nonexistent/x.pol"), std::string::npos)
      << bad.out << bad.err;
  ctd_->ctr({"containers", "rm", "bad-annotation"});
  expect_nothing_left("bad-annotation");
}

}  // namespace

namespace {

// docs/kubernetes.md's RuntimeClass handler, as written there, parsed by containerd itself.
TEST(ContainerdConfig, RuntimeClassSnippetIsAcceptedByContainerd) {
  const std::string why = Containerd::why_not();
  if (!why.empty()) GTEST_SKIP() << why;
  const std::string doc =
      launch_test::slurp(std::string(std::getenv("POLICY_SOURCE_DIR")) + "/docs/kubernetes.md");
  const size_t section = doc.find("## policyrun as a RuntimeClass");
  ASSERT_NE(section, std::string::npos);
  const size_t begin = doc.find("```toml\n", section);
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  const std::string toml = doc.substr(begin + 8, end - begin - 8);
  const std::string file = launch_test::scratch() + "/runtimeclass.toml";
  std::ofstream(file) << toml;
  Cmd dump = oci_test::run({"/usr/bin/containerd", "--config", file, "config", "dump"});
  ASSERT_EQ(dump.status, 0) << dump.err;
  const size_t handler =
      dump.out.find("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.policyrun]");
  ASSERT_NE(handler, std::string::npos) << dump.out;
  const std::string rest = dump.out.substr(handler);
  EXPECT_NE(rest.find("runtime_type = \"io.containerd.runc.v2\""), std::string::npos) << rest;
  EXPECT_NE(
      rest.find("pod_annotations = [\"org.policyrun.policy\", \"org.policyrun.policy-name\"]"),
      std::string::npos)
      << rest;
  EXPECT_NE(rest.find("BinaryName = \"/usr/local/bin/policyrun\""), std::string::npos) << rest;
  EXPECT_NE(rest.find("SystemdCgroup = false"), std::string::npos) << rest;
}

}  // namespace
