// policyrun's OCI runtime commands driven directly, as containerd's shim drives them: a bundle
// from `runc spec` with a busybox root, create/start/state/kill/delete/exec/ps, the pid file,
// the console socket, errors in the JSON log, and nothing left behind (docs/oci-runtime.md).
// This process is a subreaper, as the shim is: the container's process becomes its child when
// `policyrun create` exits, and is reaped here.
#include <gtest/gtest.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "launch/launch_fixture.hpp"
#include "oci/containerd_fixture.hpp"

namespace fs = std::filesystem;
using oci_test::Cmd;

namespace {

class OciRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    static int serial = 0;
    const std::string name =
        "oci-rt-" + std::to_string(::getpid()) + "-" + std::to_string(++serial);
    dir_ = launch_test::scratch() + "/" + name;
    root_ = dir_ + "/state";
    bundle_ = dir_ + "/bundle";
    fs::create_directories(bundle_);
    fs::copy(launch_test::busybox_layer(), bundle_ + "/rootfs",
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    Cmd spec = oci_test::run({"/usr/sbin/runc", "spec", "--bundle", bundle_});
    ASSERT_EQ(spec.status, 0) << spec.err;
    config_ = nlohmann::json::parse(launch_test::slurp(bundle_ + "/config.json"));
    config_["process"]["terminal"] = false;
    config_["process"]["env"] = {"PATH=/bin"};
  }
  void TearDown() override {
    // Whatever a failed test left: its containers are deleted, its processes reaped.
    for (const auto& id : ids_) policyrun({"delete", "--force", id});
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  void write_config(const std::vector<std::string>& args) {
    config_["process"]["args"] = args;
    std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  }

  // policyrun --root ROOT --log LOG --log-format json ARGS..., stdio: the container's files.
  Cmd policyrun(const std::vector<std::string>& args, int timeout_s = 60) {
    std::vector<std::string> argv = {launch_test::policyrun_binary(),
                                     "--root",
                                     root_,
                                     "--log",
                                     dir_ + "/log.json",
                                     "--log-format",
                                     "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    return oci_test::run(argv, timeout_s);
  }

  // create, with the container's stdout in <dir>/ID.out (the shim gives its pipes the same way).
  Cmd create(const std::string& id, const std::vector<std::string>& extra = {}) {
    ids_.push_back(id);
    std::string cmd = launch_test::shell_quote(launch_test::policyrun_binary()) + " --root " +
                      root_ + " --log " + dir_ + "/log.json --log-format json create --bundle " +
                      bundle_ + " --pid-file " + dir_ + "/" + id + ".pid";
    for (const auto& e : extra) cmd += " " + launch_test::shell_quote(e);
    cmd += " " + id + " </dev/null >" + dir_ + "/" + id + ".out 2>" + dir_ + "/" + id + ".err";
    const int rc = std::system(cmd.c_str());
    return Cmd{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, launch_test::slurp(dir_ + "/" + id + ".out"),
               launch_test::slurp(dir_ + "/" + id + ".err")};
  }

  nlohmann::json state(const std::string& id) {
    Cmd s = policyrun({"state", id});
    EXPECT_EQ(s.status, 0) << s.err;
    return nlohmann::json::parse(s.out, nullptr, false);
  }

  // Reaps the container's process (as the shim does) and returns its wait status.
  static int reap(pid_t pid) {
    int status = 0;
    for (int i = 0; i < 500; ++i) {
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "pid " << pid << " did not exit";
    return -1;
  }

  std::string dir_, root_, bundle_;
  nlohmann::json config_;
  std::vector<std::string> ids_;
};

TEST_F(OciRuntime, CreateWaitsStartRunsKillStopsDeleteRemovesEverything) {
  write_config({"sh", "-c", "echo started; exec sleep 60"});
  Cmd c = create("life");
  ASSERT_EQ(c.status, 0) << c.err << launch_test::slurp(dir_ + "/log.json");
  const std::string pid_text = launch_test::slurp(dir_ + "/life.pid");
  ASSERT_FALSE(pid_text.empty());
  EXPECT_EQ(pid_text.find('\n'), std::string::npos) << "the shim parses the whole file";
  const pid_t pid = std::stoi(pid_text);
  nlohmann::json s = state("life");
  EXPECT_EQ(s["status"], "created");
  EXPECT_EQ(s["pid"], pid);
  EXPECT_EQ(s["bundle"], fs::canonical(bundle_).string());
  EXPECT_EQ(launch_test::slurp(dir_ + "/life.out"), "") << "created, not started: nothing ran";
  // The process waits confined already: its own pid namespace, its cgroup.
  EXPECT_NE(launch_test::slurp("/proc/" + pid_text + "/cgroup").find("/policyrun/oci-life"),
            std::string::npos);

  Cmd st = policyrun({"start", "life"});
  ASSERT_EQ(st.status, 0) << st.err;
  for (int i = 0; i < 200 && launch_test::slurp(dir_ + "/life.out").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(launch_test::slurp(dir_ + "/life.out"), "started\n");
  EXPECT_EQ(state("life")["status"], "running");
  Cmd again = policyrun({"start", "life"});
  EXPECT_NE(again.status, 0);
  EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;
  Cmd ps = policyrun({"ps", "--format", "json", "life"});
  ASSERT_EQ(ps.status, 0) << ps.err;
  EXPECT_EQ(nlohmann::json::parse(ps.out), nlohmann::json::array({pid}));
  Cmd busy = policyrun({"delete", "life"});
  EXPECT_NE(busy.status, 0);
  EXPECT_NE(busy.err.find("not stopped"), std::string::npos) << busy.err;

  ASSERT_EQ(policyrun({"kill", "life", "9"}).status, 0);
  const int status = reap(pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_EQ(state("life")["status"], "stopped");
  Cmd dead = policyrun({"kill", "life", "TERM"});
  EXPECT_NE(dead.status, 0);
  // containerd's shim recognises these words and treats the process as gone.
  EXPECT_NE(dead.err.find("container not running"), std::string::npos) << dead.err;
  ASSERT_EQ(policyrun({"delete", "life"}).status, 0);
  EXPECT_FALSE(fs::exists(root_ + "/life"));
  for (const auto& d : launch_test::policyrun_cgroup_dirs())
    EXPECT_EQ(d.find("oci-life"), std::string::npos) << d;
  Cmd gone = policyrun({"delete", "life"});
  EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
}

TEST_F(OciRuntime, ExitCodeAndExecDetachedWithAPidFile) {
  write_config({"sh", "-c", "sleep 60"});
  ASSERT_EQ(create("ex").status, 0);
  const pid_t pid = std::stoi(launch_test::slurp(dir_ + "/ex.pid"));
  ASSERT_EQ(policyrun({"start", "ex"}).status, 0);
  // exec --process, detached: the command is this process's child too; its pid in the file.
  const std::string process = dir_ + "/process.json";
  nlohmann::json p = config_["process"];
  p["args"] = {"sh", "-c",
               "grep -E '^(NoNewPrivs|CapBnd):' /proc/self/status > /dev/shm/posture; exit 5"};
  std::ofstream(process) << p.dump();
  Cmd e =
      policyrun({"exec", "--process", process, "--detach", "--pid-file", dir_ + "/e.pid", "ex"});
  ASSERT_EQ(e.status, 0) << e.err;
  const int st = reap(std::stoi(launch_test::slurp(dir_ + "/e.pid")));
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 5) << st;
  // Not detached: policyrun waits and returns the command's exit code.
  Cmd fg = policyrun({"exec", "ex", "sh", "-c", "cat /dev/shm/posture; exit 4"});
  EXPECT_EQ(fg.status, 4) << fg.err;
  EXPECT_NE(fg.out.find("NoNewPrivs:\t1"), std::string::npos) << fg.out;
  // The exec'd command's bounding set is the container's first process's.
  std::string first = launch_test::slurp("/proc/" + std::to_string(pid) + "/status");
  const size_t at = first.find("CapBnd:");
  ASSERT_NE(at, std::string::npos);
  EXPECT_NE(fg.out.find(first.substr(at, first.find('\n', at) - at)), std::string::npos)
      << fg.out << first;
  ASSERT_EQ(policyrun({"kill", "ex", "KILL"}).status, 0);
  reap(pid);
  ASSERT_EQ(policyrun({"delete", "ex"}).status, 0);
}

TEST_F(OciRuntime, TheTerminalGoesToTheConsoleSocket) {
  config_["process"]["terminal"] = true;
  write_config({"sh", "-c", "tty; exec sleep 60"});
  const std::string sock_path = dir_ + "/console.sock";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock_path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  Cmd without = create("tty-missing");
  EXPECT_NE(without.status, 0);
  EXPECT_NE(without.err.find("--console-socket"), std::string::npos) << without.err;
  std::thread creator([&] { EXPECT_EQ(create("tty", {"--console-socket", sock_path}).status, 0); });
  int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = buf;
  msg.msg_controllen = sizeof buf;
  ASSERT_EQ(::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC), 1);
  int master = -1;
  std::memcpy(&master, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof master);
  creator.join();
  ASSERT_EQ(policyrun({"start", "tty"}).status, 0);
  std::string seen;
  char out[256];
  for (int i = 0; i < 100 && seen.find("/dev/pts/") == std::string::npos; ++i) {
    const ssize_t n = ::read(master, out, sizeof out);
    if (n > 0) seen.append(out, n);
  }
  EXPECT_NE(seen.find("/dev/pts/0"), std::string::npos) << seen;
  for (int fd : {master, conn, listener}) ::close(fd);
  ASSERT_EQ(policyrun({"delete", "--force", "tty"}).status, 0);
}

TEST_F(OciRuntime, ErrorsGoToTheJsonLogAndLeaveNothing) {
  write_config({"true"});
  config_["linux"]["namespaces"].push_back({{"type", "bogus"}});
  std::ofstream(bundle_ + "/config.json") << config_.dump(2);
  Cmd c = create("broken");
  EXPECT_EQ(c.status, 1) << c.err;
  EXPECT_FALSE(fs::exists(root_ + "/broken"));
  // The last line of the log is an error object, where containerd's shim looks for the reason.
  std::string log = launch_test::slurp(dir_ + "/log.json"), last;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) last = line;
  nlohmann::json j = nlohmann::json::parse(last, nullptr, false);
  ASSERT_TRUE(j.is_object()) << log;
  EXPECT_EQ(j["level"], "error");
  EXPECT_NE(j["msg"].get<std::string>().find("bogus"), std::string::npos) << j.dump();
  Cmd unknown = policyrun({"state", "nosuch"});
  EXPECT_EQ(unknown.status, 1);
  EXPECT_NE(unknown.err.find("does not exist"), std::string::npos) << unknown.err;
  Cmd pause = policyrun({"pause", "nosuch"});
  EXPECT_NE(pause.err.find("not supported"), std::string::npos) << pause.err;
}

}  // namespace
