// The launch engine, end to end: real containers on the real kernel, checked from inside.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sys/wait.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "launch/launch_fixture.hpp"
#include "runtime/launch/launch.hpp"
#include "support/kernel_skip.hpp"

namespace fs = std::filesystem;
using launch_test::docker_like_policy;
using launch_test::run;

namespace {

std::string status_field(const std::string& status, const std::string& key) {
  auto pos = status.find("\n" + key + ":");
  if (pos == std::string::npos) return "";
  auto start = status.find_first_not_of(" \t", pos + key.size() + 2);
  return status.substr(start, status.find('\n', start) - start);
}

std::string hex16(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string host_ns(const char* name) {
  return fs::read_symlink(std::string("/proc/self/ns/") + name).string();
}

policy::ir::MountSpec tmpfs_at(const std::string& target, std::vector<std::string> options = {}) {
  policy::ir::MountSpec m;
  m.kind = policy::ir::MountSpec::Tmpfs;
  m.target = target;
  m.options = std::move(options);
  return m;
}

}  // namespace

TEST(Launch, RunsCommandAndPassesStdout) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(), "echo hello from the container");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello from the container\n");
}

TEST(Launch, ExitStatusIsTheCommandsAnd128PlusSignal) {
  SKIP_UNLESS(needs::root());
  EXPECT_EQ(run(docker_like_policy(), "exit 42").status, 42);
  // PID 1 ignores signals it has no handler for, even SIGKILL from inside its namespace: with
  // init the command is PID 2 and dies of the signal; without, seccomp's kill action kills PID 1.
  EXPECT_EQ(run(docker_like_policy(), "kill -9 $$; sleep 1", {}, {}, true).status, 137);
  EXPECT_EQ(run(docker_like_policy(), "exec mkdir /tmp/x", {},
                launch_test::seccomp_filter({"mkdir", "mkdirat"}, SCMP_ACT_KILL_PROCESS))
                .status,
            128 + SIGSYS);
}

TEST(Launch, CommandNotFoundIs127AndNotExecutableIs126) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  auto req = launch_test::busybox_request(p, {"no-such-command"});
  try {
    launch_test::run_request(req);
    ADD_FAILURE() << "launch of a missing command succeeded";
  } catch (const policy::launch::LaunchError& e) {
    EXPECT_EQ(e.exit_code(), 127);
    EXPECT_NE(std::string(e.what()).find("no-such-command"), std::string::npos) << e.what();
  }
  req.argv = {"/etc/passwd"};
  try {
    launch_test::run_request(req);
    ADD_FAILURE() << "exec of a non-executable file succeeded";
  } catch (const policy::launch::LaunchError& e) {
    EXPECT_EQ(e.exit_code(), 126) << e.what();
  }
}

TEST(Launch, CapabilitiesNoNewPrivsAndSeccompAsSeenInProcSelfStatus) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  auto r = run(p, "cat /proc/self/status", {}, launch_test::seccomp_deny({"mkdir"}, EXDEV));
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string caps = hex16(launch_test::docker_caps());
  EXPECT_EQ(status_field(r.out, "CapBnd"), caps);
  EXPECT_EQ(status_field(r.out, "CapEff"), caps);
  EXPECT_EQ(status_field(r.out, "CapPrm"), caps);
  EXPECT_EQ(status_field(r.out, "CapInh"), hex16(0));
  EXPECT_EQ(status_field(r.out, "CapAmb"), hex16(0));
  EXPECT_EQ(status_field(r.out, "NoNewPrivs"), "1");
  EXPECT_EQ(status_field(r.out, "Seccomp"), "2");
}

TEST(Launch, NonRootUserHasNoCapabilities) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.process.uid = 1000;
  p.process.gid = 1000;
  auto r = run(p, "id -u; id -g; grep -E '^(CapEff|CapPrm)' /proc/self/status");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1000\n1000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n");
}

TEST(Launch, SeccompDeniedSyscallReturnsThePolicysErrno) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(), "mkdir /tmp/x", {},
               launch_test::seccomp_deny({"mkdir", "mkdirat"}, EXDEV));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("Invalid cross-device link"), std::string::npos) << r.err;
  auto ok = run(docker_like_policy(), "mkdir /tmp/x && echo made");
  EXPECT_EQ(ok.out, "made\n") << ok.err;
}

TEST(Launch, EveryNamespaceOfThePlanIsNew) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(),
               "for n in mnt pid uts ipc net cgroup user; do readlink /proc/self/ns/$n; done");
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream in(r.out);
  for (const char* n : {"mnt", "pid", "uts", "ipc", "net", "cgroup"}) {
    std::string line;
    std::getline(in, line);
    EXPECT_NE(line, host_ns(n)) << n << " namespace is the host's";
  }
  std::string user;
  std::getline(in, user);
  EXPECT_EQ(user, host_ns("user")) << "no user namespace was asked for";
}

TEST(Launch, CgroupNamespaceIsRootedAtTheRunsOwnCgroup) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(), "cut -d: -f3 /proc/self/cgroup | sort -u");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "/\n") << "the container must not see the runtime's cgroup paths";
}

TEST(Launch, JoinsAnExistingNetworkNamespace) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  for (auto& ns : p.namespaces.namespaces)
    if (ns.kind == policy::ir::NamespaceKind::Net) ns.join_path = "/proc/self/ns/net";
  auto r = run(p, "readlink /proc/self/ns/net");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, host_ns("net") + "\n");
  EXPECT_EQ(fs::read_symlink("/proc/self/ns/net").string(), host_ns("net"));
}

TEST(Launch, CommandIsPid1AndHostnameIsThePolicys) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.process.hostname = "web";
  char host[256] = {};
  ::gethostname(host, sizeof host);
  auto r = run(p, "echo $$; hostname; readlink /proc/1/exe");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "1\nweb\n/bin/busybox\n");
  char after[256] = {};
  ::gethostname(after, sizeof after);
  EXPECT_STREQ(host, after);
}

TEST(Launch, HostnameWithoutUtsNamespaceIsRefused) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.process.hostname = "web";
  std::erase_if(p.namespaces.namespaces,
                [](auto& n) { return n.kind == policy::ir::NamespaceKind::Uts; });
  EXPECT_THROW(run(p, "true"), policy::launch::LaunchError);
}

TEST(Launch, MountIsRefusedWithoutSysAdmin) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(), "mount -t tmpfs none /tmp");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("ermission denied"), std::string::npos) << r.err;
}

TEST(Launch, ReadOnlyAndMaskedPaths) {
  SKIP_UNLESS(needs::root());
  // /proc/keys and /proc/timer_list have content on this host (463 bytes of keys here); inside
  // they must read empty. Paths this kernel lacks (/proc/kcore...) are simply not there.
  ASSERT_TRUE(fs::exists("/proc/keys") && fs::exists("/proc/timer_list"));
  auto r = run(docker_like_policy(),
               "echo 1 > /proc/sys/vm/overcommit_memory; echo rc=$?; "
               "echo c > /proc/sysrq-trigger; echo rc=$?; "
               "wc -c < /proc/keys; wc -c < /proc/timer_list; ls /proc/acpi | wc -l; "
               "grep -c -E ' /proc/(keys|timer_list|acpi) ' /proc/self/mountinfo");
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "rc=1\nrc=1\n0\n0\n0\n3\n") << r.err;
}

TEST(Launch, ReadOnlyRootWithWritableTmpfs) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.rootfs.readonly = true;
  p.rootfs.mounts.push_back(tmpfs_at("/tmp", {"size=1M", "mode=1777"}));
  auto r = run(p,
               "touch /etc/x; echo rc=$?; touch /tmp/y && echo tmp-ok; "
               "grep ' /tmp ' /proc/self/mountinfo | grep -c size=1024k");
  EXPECT_NE(r.out.find("rc=1\ntmp-ok\n1\n"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
}

// A read-only root of one layer whose mount points all exist is the layer itself, bound
// read-only: no overlay, and no state directory on the host.
TEST(Launch, ReadOnlyRootOfOneLayerIsTheLayerBoundReadOnly) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.rootfs.readonly = true;
  p.rootfs.nosuid = p.rootfs.nodev = true;  // `root nosuid nodev` reaches the direct root too
  // Every mount point must exist in the layer, /etc/{hostname,hosts,resolv.conf} too (Docker's
  // images have them): a copy of the busybox layer with the three files.
  std::string layer = launch_test::busybox_copy("busybox-etc-files");
  for (const char* f : {"hostname", "hosts", "resolv.conf"}) std::ofstream(layer + "/etc/" + f);
  auto req = launch_test::busybox_request(
      p, {"/bin/sh", "-c",
          "grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ' /proc/self/mountinfo > /dev/shm/root; "
          "grep -c overlay /dev/shm/root; grep -c ' / ro,nosuid,nodev' /dev/shm/root; "
          "touch /etc/x; echo rc=$?; mkdir /newdir; echo rc=$?"});
  req.lower_dirs = {layer};
  req.state_root = launch_test::scratch() + "/direct-root-state";
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Off;
  auto r = launch_test::run_request(std::move(req));
  EXPECT_EQ(r.out, "0\n1\nrc=1\nrc=1\n") << r.err;
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  // Only the run's record (<state>/run/<id>.lock, docs/runtime.md "Lifetime") was made, and it
  // is gone: no state directory.
  const std::string state_run = launch_test::scratch() + "/direct-root-state/run";
  EXPECT_TRUE(!fs::exists(state_run) || fs::is_empty(state_run));
  EXPECT_FALSE(fs::exists(layer + "/etc/x"));
  EXPECT_TRUE(launch_test::host_mount_lines_mentioning(layer).empty());
}

// A mount point missing from the image (here the policy's tmpfs /scratch) needs the overlay: it
// is created in the run's upper layer, never in the image, and the root is still read-only.
TEST(Launch, ReadOnlyRootNeedingAMountPointUsesTheOverlay) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.rootfs.readonly = true;
  p.rootfs.mounts.push_back(tmpfs_at("/scratch"));
  auto r = run(p,
               "grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ' /proc/self/mountinfo | grep -c overlay; "
               "touch /scratch/y && "
               "echo scratch-ok; touch /etc/x; echo rc=$?");
  EXPECT_EQ(r.out, "1\nscratch-ok\nrc=1\n") << r.err;
  EXPECT_FALSE(fs::exists(launch_test::busybox_layer() + "/scratch"));
}

TEST(Launch, WritesGoToTheRunNotToTheImageLayers) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(), "echo changed > /etc/passwd && rm /bin/cat && echo ok");
  EXPECT_EQ(r.out, "ok\n") << r.err;
  std::ifstream in(launch_test::busybox_layer() + "/etc/passwd");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "root:x:0:0:root:/root:/bin/sh");
  EXPECT_TRUE(fs::exists(launch_test::busybox_layer() + "/bin/cat"));
}

// The run's upper layer is thrown away at exit, so it is mounted volatile: the unmount at the
// namespace's end does not sync the host's file system. Its work dir (incompat/volatile inside)
// goes with the rest of the run's state.
TEST(Launch, WritableRootIsAVolatileOverlayRemovedAtExit) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  auto req = launch_test::busybox_request(
      p, {"/bin/sh", "-c",
          "grep -E '^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ' /proc/self/mountinfo | "
          "grep -c 'overlay.*volatile'; echo x > /written && echo ok"});
  const std::string state = launch_test::scratch() + "/volatile-state";
  req.state_root = state;
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Off;
  auto r = launch_test::run_request(std::move(req));
  EXPECT_EQ(r.out, "1\nok\n") << r.err;
  EXPECT_FALSE(fs::exists(launch_test::busybox_layer() + "/written"));
  ASSERT_TRUE(fs::is_directory(state + "/run"));
  EXPECT_TRUE(fs::is_empty(state + "/run")) << "the run's upper/work dirs were left behind";
  fs::remove_all(state);
}

TEST(Launch, UpperLayerWinsOverLowerLayer) {
  SKIP_UNLESS(needs::root());
  std::string top = launch_test::new_layer("top");
  fs::create_directories(top + "/etc");
  std::ofstream(top + "/etc/motd") << "from the top layer\n";
  auto r = run(docker_like_policy(), "cat /etc/motd; ls /bin/busybox",
               {launch_test::busybox_layer(), top});
  EXPECT_EQ(r.out, "from the top layer\n/bin/busybox\n") << r.err;
}

TEST(Launch, DevHasOnlyTheMinimalNodes) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(),
               "ls /dev | tr '\\n' ' '; echo; echo x > /dev/null && head -c 4 /dev/zero | wc -c");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(
      r.out,
      "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero \n4\n");
}

// Outside a user namespace the device nodes are the container's own (made in its /dev tmpfs),
// not bind mounts of the host's: a chmod inside could otherwise change the host's /dev/null.
// Checked without changing anything: each node is on the /dev tmpfs and none is a mount point.
TEST(Launch, DeviceNodesAreTheContainersOwn) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(),
               "for n in null zero full random urandom; do "
               "[ \"$(stat -c %d /dev/$n)\" = \"$(stat -c %d /dev)\" ] && echo own; done; "
               "grep -c -E ' /dev/(null|zero|full|random|urandom|tty) ' /proc/self/mountinfo; "
               "stat -c '%a %t,%T' /dev/null");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "own\nown\nown\nown\nown\n0\n666 1,3\n") << r.err;
}

TEST(Launch, RlimitsApply) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.process.rlimits.push_back({RLIMIT_NOFILE, 64, 128, {}});
  auto r = run(p, "ulimit -n; ulimit -Hn");
  EXPECT_EQ(r.out, "64\n128\n") << r.err;
}

TEST(Launch, EnvAndWorkingDirectory) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.process.env["FROM_POLICY"] = "yes";
  auto r = run(p, "pwd; echo $FROM_POLICY $HOME", {}, {}, false, "/var/app");
  EXPECT_EQ(r.out, "/var/app\nyes /root\n") << r.err;
}

TEST(Launch, InitIsPid1ReapsAndPassesTheExitStatus) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(), "echo $$; (sleep 0 &) ; exit 3", {}, {}, true);
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_EQ(r.out, "2\n");
}

TEST(Launch, ChrootWhenAskedWarnsThatItIsEscapable) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.rootfs.use_chroot = true;
  auto r = run(p, "cat /etc/passwd");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.diag.find("chroot-escapable"), std::string::npos) << r.diag;
}

TEST(Launch, TtyGivesTheCommandATerminal) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  auto req =
      launch_test::busybox_request(p, {"/bin/sh", "-c", "tty; test -t 0 && echo stdin-is-tty"});
  req.tty = true;
  auto r = launch_test::run_request(req);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stdin-is-tty"), std::string::npos) << r.out;
}

TEST(Launch, UserNamespaceMapsRootToAnUnprivilegedRange) {
  SKIP_UNLESS(needs::root());
  auto p = docker_like_policy();
  p.namespaces.namespaces.push_back({policy::ir::NamespaceKind::User, "", {}});
  p.namespaces.uid_map = {{0, 100000, 65536}};
  p.namespaces.gid_map = {{0, 100000, 65536}};
  auto r = run(p,
               "id -u; cat /proc/self/uid_map; cat /proc/self/setgroups; touch /dev/shm/f && stat "
               "-c %u /dev/shm/f; stat -c %u /bin/busybox");
  ASSERT_EQ(r.status, 0) << r.err;
  // Image files belong to the host's root, which is unmapped here: they show as the overflow id.
  EXPECT_EQ(r.out, "0\n         0     100000      65536\ndeny\n0\n65534\n");
}

TEST(Launch, SignalsAreForwardedToTheContainer) {
  SKIP_UNLESS(needs::root());
  // A helper process (not a thread: launch() refuses to run multi-threaded) sends SIGTERM to
  // the runtime once the container is ready (its trap is set: the marker exists), and only
  // then; the runtime forwards it, the trap exits 7. The helper gives up without signalling when
  // the run is over (the pipe's write end, held by the runtime, closes), never on a timer.
  std::string marker = launch_test::scratch() + "/signal-ready";
  ::unlink(marker.c_str());
  int run_over[2];
  ASSERT_EQ(::pipe2(run_over, O_CLOEXEC), 0);
  pid_t runtime = ::getpid();
  pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    ::close(run_over[1]);
    struct pollfd pfd {
      run_over[0], POLLIN, 0
    };
    while (::access(marker.c_str(), F_OK) != 0)
      if (::poll(&pfd, 1, 10) != 0) ::_exit(1);  // the run ended (or failed) before it was ready
    ::kill(runtime, SIGTERM);
    ::_exit(0);
  }
  ::close(run_over[0]);
  auto p = docker_like_policy();
  policy::ir::MountSpec bind;
  bind.kind = policy::ir::MountSpec::Bind;
  bind.source = launch_test::scratch();
  bind.target = "/scratch";
  p.rootfs.mounts.push_back(bind);
  auto r = run(
      p,
      "trap 'exit 7' TERM; touch /scratch/signal-ready || exit 9; while true; do sleep 0.05; done");
  ::close(run_over[1]);
  int helper_status = 0;
  ::waitpid(helper, &helper_status, 0);
  EXPECT_EQ(WIFEXITED(helper_status) ? WEXITSTATUS(helper_status) : -1, 0)
      << "the container never became ready";
  EXPECT_EQ(r.status, 7) << r.err;
}

TEST(Launch, RefusesToCloneFromAMultiThreadedProcess) {
  SKIP_UNLESS(needs::root());
  std::atomic<bool> stop{false};
  std::thread t([&] {
    while (!stop) ::usleep(1000);
  });
  EXPECT_THROW(run(docker_like_policy(), "true"), policy::launch::LaunchError);
  stop = true;
  t.join();
}

TEST(Launch, LandlockRulesOfThePolicyAreEnforcedInTheContainer) {
  SKIP_UNLESS(needs::root());
  if (policy::launch::landlock_abi() == 0) GTEST_SKIP() << "this kernel has no Landlock";
  auto p = docker_like_policy();
  p.filesystem.specified = true;
  auto rule = [](uint32_t access, const char* pattern) {
    policy::ir::PathRule r;
    r.access = access;
    r.pattern = pattern;
    return r;
  };
  using policy::ir::FileAccess;
  p.filesystem.rules = {rule(FileAccess::kRead | FileAccess::kExec | FileAccess::kMap, "/bin/**"),
                        rule(FileAccess::kRead, "/etc/**"),
                        rule(FileAccess::kRead | FileAccess::kWrite, "/tmp/**"),
                        rule(FileAccess::kRead | FileAccess::kWrite, "/dev/**")};
  auto req = launch_test::busybox_request(
      p, {"/bin/sh", "-c",
          "cat /etc/passwd >/dev/null && echo read-etc; touch /tmp/ok && echo write-tmp; "
          "touch /etc/nope || echo denied-etc; ls /root || echo denied-root"});
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Require;
  auto r = launch_test::run_request(req);
  EXPECT_EQ(r.out, "read-etc\nwrite-tmp\ndenied-etc\ndenied-root\n") << r.err << r.diag;
}

// A new network namespace starts with lo down ("Network is unreachable" even for 127.0.0.1);
// Docker brings it up, so does the launch: a TCP round trip over 127.0.0.1 inside the container.
TEST(Launch, LoopbackIsUpInANewNetworkNamespace) {
  SKIP_UNLESS(needs::root());
  auto r = run(docker_like_policy(),
               "busybox ifconfig lo | grep -o 'UP LOOPBACK RUNNING'; "
               // No sleeps as guesses: the client starts once the listener is in netstat, and
               // the file is read once the listener has exited (on the client's close). The
               // listener hands the connection to `cat` (-e): a plain `nc -l` in the background
               // reads its stdin, /dev/null, and may quit on that EOF before the bytes arrive.
               "busybox timeout 10 busybox nc -l -p 9000 -e busybox sh -c 'cat > /tmp/got' & "
               "i=0; until busybox netstat -ltn | grep -q ':9000 '; do "
               "i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done; "
               "echo hi | busybox nc 127.0.0.1 9000; echo rc=$?; wait $!; cat /tmp/got");
  EXPECT_EQ(r.out, "UP LOOPBACK RUNNING\nrc=0\nhi\n") << r.err;
}
