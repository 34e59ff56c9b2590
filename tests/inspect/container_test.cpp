// `policyc inspect PID` on real containers: one policyrun started (`run -d`, a --root of its own)
// and one runc started under Docker's default seccomp profile as policyc exports it. Each filter
// is fetched from the kernel and decompiled; `--against` the policy the container was started
// with finds no drift (exit 0), against a wider one it names the drift and its rule (exit 3).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "compiler/caps/capability_formats.hpp"
#include "compiler/frontend/frontend.hpp"
#include "inspect/inspect_fixture.hpp"
#include "launch/launch_fixture.hpp"
#include "runtime/common/host.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string source_dir() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path().string();
}

std::string policyc_binary() {
  return (fs::read_symlink("/proc/self/exe").parent_path() / "policyc").string();
}

struct Ran {
  int status = -1;
  std::string out, err;
};

// Runs `argv` with stdin from /dev/null, stdout and stderr into files (a detached container that
// inherits them then holds no pipe of ours open).
Ran run(const std::vector<std::string>& argv) {
  const std::string base = launch_test::scratch() + "/ran-" + policy::runtime::random_hex(6);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0), ::dup2(out, 1), ::dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Ran r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = launch_test::slurp(base + ".out");
  r.err = launch_test::slurp(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return r;
}

using inspect_test::expect_left_alone;
using inspect_test::status_field;

// Web-like: ptrace killed, sockets limited, four capabilities, its own namespaces and limits.
const char* kStarted = R"(policy started {
  syscalls default allow {
    kill ptrace, process_vm_readv, process_vm_writev
    errno(EAFNOSUPPORT) socket(domain == AF_NETLINK)
    errno(EPERM) unshare, setns
  }
  capabilities keep { CHOWN, SETUID, SETGID, KILL }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  resources { memory 64M, pids 64 }
  process { no_new_privileges }
}
)";

// The same but keeping CAP_SYS_ADMIN, allowing ptrace, without no_new_privileges, with a larger
// pids limit and sharing the host's network.
const char* kWider = R"(policy wider {
  syscalls default allow {
    kill process_vm_readv, process_vm_writev
    errno(EAFNOSUPPORT) socket(domain == AF_NETLINK)
    errno(EPERM) unshare, setns
  }
  capabilities keep { CHOWN, SETUID, SETGID, KILL, SYS_ADMIN }
  namespaces { mount, pid, ipc, uts, cgroup }
  resources { memory 64M, pids 128 }
  process { no_new_privileges false }
}
)";

class PolicyrunContainer : public testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()),
                needs::program(policyc_binary()));
    char tmpl[] = "/tmp/inspect-root-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    started_ = root_ + "-started.pol";
    wider_ = root_ + "-wider.pol";
    std::ofstream(started_) << kStarted;
    std::ofstream(wider_) << kWider;
  }
  void TearDown() override {
    if (!id_.empty()) pr({"rm", "-f", id_});
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
    fs::remove(started_, ec);
    fs::remove(wider_, ec);
  }
  Ran pr(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--root", root_});
    args.insert(args.begin(), launch_test::policyrun_binary());
    return run(args);
  }
  std::string root_, started_, wider_, id_;
};

}  // namespace

TEST_F(PolicyrunContainer, InspectShowsItsConfinementAndAgainstFindsDriftOnlyAgainstAnother) {
  const Ran started = pr({"run", "-d", "--policy", started_, "--apparmor=off",
                          launch_test::busybox_layer(), "sh", "-c", "sleep 1000"});
  ASSERT_EQ(started.status, 0) << started.err;
  id_ = started.out.substr(0, started.out.find('\n'));

  // policyrun inspect: the same facts, with the filter decompiled and the cgroup usage.
  const Ran inspected = pr({"inspect", id_});
  ASSERT_EQ(inspected.status, 0) << inspected.err;
  const json j = json::parse(inspected.out)[0];
  const pid_t pid = j["State"]["Pid"].get<pid_t>();
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(j.contains("SeccompPolicy")) << j.dump(2);
  const std::string policyrun_text = j["SeccompPolicy"].back()["policy"].get<std::string>();
  EXPECT_NE(policyrun_text.find("kill-process process_vm_readv, process_vm_writev, ptrace"),
            std::string::npos)
      << policyrun_text;
  bool usage = false;
  for (const auto& g : j["Cgroups"])
    usage = usage || g["usage"].contains("memory.usage_in_bytes") ||
            g["usage"].contains("memory.current");
  EXPECT_TRUE(usage) << j["Cgroups"].dump();
  expect_left_alone(pid);

  // policyc inspect PID
  const Ran text = run({policyc_binary(), "inspect", std::to_string(pid)});
  ASSERT_EQ(text.status, 0) << text.err;
  for (const char* ns : {"mnt:", "pid:", "net:", "ipc:", "uts:", "cgroup:"}) {
    const size_t at = text.out.find(std::string(" ") + ns);
    ASSERT_NE(at, std::string::npos) << ns << text.out;
    EXPECT_EQ(text.out.substr(text.out.find('(', at), 5), "(own)") << ns << text.out;
  }
  EXPECT_NE(text.out.find("NoNewPrivs    1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("CapEff        0x00000000000000e1=cap_chown,cap_kill,cap_setgid,"
                          "cap_setuid"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("kill-process process_vm_readv, process_vm_writev, ptrace"),
            std::string::npos)
      << text.out;
  // policyrun's explain mode: refusals go to its supervisor, which answers the policy's errno.
  EXPECT_NE(text.out.find("user-notify socket(domain == 16)"), std::string::npos) << text.out;
  expect_left_alone(pid);

  // Against the policy it was started with: no drift.
  const Ran same = run({policyc_binary(), "inspect", std::to_string(pid), "--against", started_});
  EXPECT_EQ(same.status, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("no drift"), std::string::npos) << same.out;
  EXPECT_NE(same.out.find("note: the process's filter hands calls to a supervisor"),
            std::string::npos)
      << same.out;

  // Against a wider one: CAP_SYS_ADMIN and ptrace, each at its line.
  const Ran wider = run({policyc_binary(), "inspect", std::to_string(pid), "--against", wider_});
  EXPECT_EQ(wider.status, 3) << wider.out << wider.err;
  EXPECT_NE(wider.out.find(wider_ + ":7:3: drift: capabilities: bounding set"), std::string::npos)
      << wider.out;
  EXPECT_NE(wider.out.find("missing: CAP_SYS_ADMIN"), std::string::npos) << wider.out;
  EXPECT_NE(wider.out.find("drift: seccomp: x86_64 ptrace"), std::string::npos) << wider.out;
  EXPECT_NE(wider.out.find("the process gives kill-process, the policy allow"), std::string::npos)
      << wider.out;
  EXPECT_NE(wider.out.find(wider_ + ":9:3: drift: resources: pids limit: the policy says 128; "
                                    "the process's cgroup has 64"),
            std::string::npos)
      << wider.out;
  EXPECT_NE(wider.out.find(wider_ + ":10:3: drift: no_new_privileges"), std::string::npos)
      << wider.out;
  // The policy shares the host's network; the process has a net namespace of its own.
  EXPECT_NE(wider.out.find(wider_ + ":8:16: drift: namespaces: the policy shares the host's net "
                                    "namespace; the process has its own (net:"),
            std::string::npos)
      << wider.out;
  const Ran wider_json = run(
      {policyc_binary(), "inspect", std::to_string(pid), "--against", wider_, "--format", "json"});
  EXPECT_EQ(wider_json.status, 3);
  // bounding, permitted, effective; ptrace; net namespace; pids; no_new_privileges.
  EXPECT_EQ(json::parse(wider_json.out)["Drift"].size(), 7u) << wider_json.out;
  expect_left_alone(pid);
}

TEST(InspectCli, BadPidsAreClearErrors) {
  SKIP_UNLESS(needs::program(policyc_binary()));
  const Ran none = run({policyc_binary(), "inspect", "2147483647"});
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("there is no process 2147483647"), std::string::npos) << none.err;
  const Ran word = run({policyc_binary(), "inspect", "nginx"});
  EXPECT_EQ(word.status, 2);
  EXPECT_NE(word.err.find("'nginx' is not a process id"), std::string::npos) << word.err;
}

// runc from Debian, Docker's default profile as `policyc compile --emit oci-seccomp` writes it,
// Docker's capabilities; a private --root for runc's state, its cgroup under policyrun/.
TEST(RuncContainer, DockerDefaultIsDecompiledAndHasNoSeccompDrift) {
  SKIP_UNLESS(needs::root(), needs::program("/usr/sbin/runc"), needs::program(policyc_binary()));
  const std::string base = launch_test::scratch() + "/runc-" + policy::runtime::random_hex(4);
  const std::string bundle = base + "/bundle", state = base + "/state";
  const std::string id = "inspect-" + policy::runtime::random_hex(4);
  fs::create_directories(bundle);
  fs::create_directories(state);
  const std::string pol = source_dir() + "/policies/docker-default.pol";
  ASSERT_EQ(run({policyc_binary(), "compile", pol, "--emit", "oci-seccomp", "-o", base}).status, 0);
  ASSERT_EQ(run({"/usr/sbin/runc", "spec", "--bundle", bundle}).status, 0);

  policy::DiagnosticEngine diags;
  policy::frontend::LoadOptions lo;
  lo.include_dirs = {source_dir() + "/policies"};
  const auto ir = policy::frontend::load_policy_file(pol, lo, diags);
  ASSERT_TRUE(ir);
  json config = json::parse(launch_test::slurp(bundle + "/config.json"));
  config["root"] = {{"path", launch_test::busybox_layer()}, {"readonly", true}};
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"/bin/sleep", "1000"};
  config["process"]["capabilities"] = policy::caps::to_oci(ir->capabilities);
  config["process"]["noNewPrivileges"] = ir->process.no_new_privileges;
  config["linux"]["seccomp"] =
      json::parse(launch_test::slurp(base + "/docker-default.oci-seccomp.json"));
  // Relative: below runc's own cgroup in each hierarchy, in the project's policyrun/ subtree.
  config["linux"]["cgroupsPath"] = "policyrun/" + id;
  std::ofstream(bundle + "/config.json") << config.dump(2);

  const Ran started = run({"/usr/sbin/runc", "--root", state, "run", "-d", "--bundle", bundle,
                           "--pid-file", base + "/pid", id});
  const auto cleanup = [&] {
    run({"/usr/sbin/runc", "--root", state, "delete", "-f", id});
    std::error_code ec;
    fs::remove_all(base, ec);
  };
  if (started.status != 0) {
    cleanup();
    FAIL() << "runc run: " << started.err;
  }
  const pid_t pid = std::stoi(launch_test::slurp(base + "/pid"));

  const Ran text = run({policyc_binary(), "inspect", std::to_string(pid)});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("syscalls default errno(EPERM)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("personality("), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("CapEff        0x00000000a80425fb="), std::string::npos) << text.out;

  const Ran against = run({policyc_binary(), "inspect", std::to_string(pid), "--against", pol});
  EXPECT_EQ(against.out.find("drift: seccomp"), std::string::npos) << against.out << against.err;
  EXPECT_EQ(against.out.find("drift: capabilities"), std::string::npos) << against.out;
  expect_left_alone(pid);
  cleanup();
}
