// `policyrun exec`: the command runs in the running container's namespaces and cgroups, at its
// root, under its exact posture; the runtime leaks nothing of the host into it (docs/runtime.md
// "exec"). Each container runs busybox under a policy compiled as `policyrun run` compiles it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "container/exec_fixture.hpp"
#include "support/kernel_skip.hpp"

using exec_test::Container;
using exec_test::link_of;
using exec_test::read_file;
using launch_test::policyrun_binary;

namespace {

// Caps kept, an errno rule (explain mode makes it notify), limits, no_new_privs, Landlock rules.
const char* kPolicy = R"(policy box {
  syscalls default allow {
    errno(EXDEV) mkdir, mkdirat
  }
  capabilities keep { CHOWN, SETUID, SETGID, KILL }
  namespaces { mount, pid, ipc, uts, net, cgroup }
  resources { memory 64M, pids 64 }
  filesystem { read /**; write /tmp/**; exec /bin/** }
  process { no_new_privileges; hostname "box"; rlimit nofile 200 300; env FROM_POLICY = "1" }
  rootfs { readonly; tmpfs /tmp size=1M }
}
)";

// The lines of /proc/PID/status that carry the posture.
std::string posture_lines(const std::string& status) {
  std::istringstream in(status);
  std::string out;
  for (std::string line; std::getline(in, line);)
    for (const char* key : {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:",
                            "Seccomp:", "Seccomp_filters:", "Uid:", "Gid:", "Groups:"})
      if (line.rfind(key, 0) == 0) out += line + "\n";
  return out;
}

// The part of `text` between the lines "=== name" and the next "===" line.
std::string section(const std::string& text, const std::string& name) {
  const std::string start = "=== " + name + "\n";
  size_t a = text.find(start);
  if (a == std::string::npos) return "<no " + name + ">";
  a += start.size();
  size_t b = text.find("=== ", a);
  return text.substr(a, b == std::string::npos ? std::string::npos : b - a);
}

const char* kProbe =
    "echo '=== ns'; for n in user mnt pid net ipc uts cgroup time; do "
    "echo \"$n $(readlink /proc/self/ns/$n)\"; done; "
    "echo '=== cgroup'; cat /proc/self/cgroup; "
    "echo '=== init-cgroup'; cat /proc/1/cgroup; "
    "echo '=== attr'; cat /proc/self/attr/current 2>/dev/null || echo none; "
    "echo '=== status'; cat /proc/self/status; "
    "echo '=== init-status'; cat /proc/1/status; "
    "echo '=== limits'; grep 'open files' /proc/self/limits; "
    "echo '=== end'";

std::string init_namespaces(pid_t pid) {
  std::string out;
  for (const char* n : {"user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time"})
    out += std::string(n) + " " + link_of("/proc/" + std::to_string(pid) + "/ns/" + n) + "\n";
  return out;
}

std::string init_attr(pid_t pid) {
  std::string a = read_file("/proc/" + std::to_string(pid) + "/attr/current");
  if (a.empty()) return "none\n";
  return a.back() == '\n' ? a : a + "\n";
}

}  // namespace

// The acceptance test of issue 13: the exec'd process and the container's first process have
// the same capabilities (all five sets), no_new_privs, seccomp mode and filter count, namespaces
// (inode numbers), cgroups and LSM label.
TEST(Exec, HasExactlyThePostureOfTheContainersInit) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-posture", kPolicy);
  auto r = c.exec({c.name(), "sh", "-c", kProbe});
  ASSERT_EQ(r.status, 0) << r.err << c.log();
  const std::string pid = std::to_string(c.pid());
  EXPECT_EQ(section(r.out, "ns"), init_namespaces(c.pid()));
  EXPECT_NE(link_of("/proc/" + pid + "/ns/pid"), link_of("/proc/self/ns/pid"));
  EXPECT_EQ(section(r.out, "cgroup"), section(r.out, "init-cgroup"));
  EXPECT_NE(section(r.out, "cgroup").find('/'), std::string::npos);
  EXPECT_EQ(section(r.out, "attr"), init_attr(c.pid()));
  const std::string mine = posture_lines(section(r.out, "status"));
  EXPECT_EQ(mine, posture_lines(read_file("/proc/" + pid + "/status")));
  EXPECT_NE(mine.find("NoNewPrivs:\t1"), std::string::npos) << mine;
  EXPECT_NE(mine.find("Seccomp:\t2"), std::string::npos) << mine;
  EXPECT_EQ(section(r.out, "limits"),
            read_file("/proc/" + pid + "/limits").find("200") != std::string::npos
                ? section(r.out, "limits")
                : "<init has no nofile 200>");
  EXPECT_NE(section(r.out, "limits").find("200                  300"), std::string::npos)
      << section(r.out, "limits");
}

// The same with a user namespace: joined only because the container has one, and the ids are
// the container's.
TEST(Exec, JoinsTheContainersUserNamespace) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-userns", R"(policy box {
  syscalls default allow {}
  capabilities keep { CHOWN, SETUID, SETGID }
  namespaces { user, mount, pid, ipc, uts, net, cgroup, uidmap 0 200000 65536, gidmap 0 200000 65536 }
  process { no_new_privileges }
}
)");
  auto r = c.exec({c.name(), "sh", "-c", kProbe});
  ASSERT_EQ(r.status, 0) << r.err << c.log();
  EXPECT_EQ(section(r.out, "ns"), init_namespaces(c.pid()));
  // Uid and Gid as the container's user namespace shows them: both read from inside.
  EXPECT_EQ(posture_lines(section(r.out, "status")), posture_lines(section(r.out, "init-status")));
  EXPECT_NE(section(r.out, "status").find("Uid:\t0\t0\t0\t0"), std::string::npos);
  EXPECT_NE(link_of("/proc/" + std::to_string(c.pid()) + "/ns/user"),
            link_of("/proc/self/ns/user"));
}

// The container's cgroup limits hold for the exec'd command: it is in the same cgroups.
TEST(Exec, IsInTheContainersCgroupsAndItsPidsLimit) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-pids", R"(policy box {
  syscalls default allow {}
  namespaces { mount, pid, ipc, uts, net, cgroup }
  resources { pids 8 }
}
)");
  // init + the exec'd sh + 6 sleeps reach the limit of 8: the other sleeps cannot start.
  auto r = c.exec({c.name(), "sh", "-c",
                   "n=0; while [ $n -lt 20 ]; do sleep 5 & n=$((n+1)); done; echo started"});
  EXPECT_NE(r.err.find("can't fork: Resource temporarily unavailable"), std::string::npos)
      << r.out << r.err << c.log();
  EXPECT_EQ(r.out, "");
}

// Same user, cwd and environment as the container unless -u, -w, -e say otherwise; the policy's
// env and the container's hostname are there too.
TEST(Exec, StartsFromTheContainersUserCwdAndEnvironment) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  exec_test::ContainerOptions o;
  o.user = "1000:1000";
  o.cwd = "/tmp";
  Container c("exec-process", kPolicy, {"/bin/sleep", "600"}, o);
  const char* script = "id -u; id -g; pwd; echo $FROM_RUN $FROM_POLICY $X $HOSTNAME";
  auto r = c.exec({c.name(), "sh", "-c", script});
  EXPECT_EQ(r.status, 0) << r.err << c.log();
  EXPECT_EQ(r.out, "1000\n1000\n/tmp\n1 1 box\n") << r.err;
  r = c.exec({"-u", "0", "-w", "/bin", "-e", "X=y", c.name(), "sh", "-c", script});
  EXPECT_EQ(r.status, 0) << r.err << c.log();
  EXPECT_EQ(r.out, "0\n0\n/bin\n1 1 y box\n") << r.err;
}

// A call the policy refuses with an errno gets that errno in the exec'd process as in the
// container (the filter's refusals notify in explain mode: this policyrun answers them).
TEST(Exec, ASeccompRefusalGetsTheSameErrnoAsInTheContainer) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-errno", kPolicy,
              {"/bin/sh", "-c", "mkdir /tmp/a 2>/tmp/init.err; exec sleep 600"});
  std::string init_err;
  for (int i = 0; i < 200 && init_err.empty(); ++i) {
    init_err = read_file("/proc/" + std::to_string(c.pid()) + "/root/tmp/init.err");
    if (init_err.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(init_err.find("Invalid cross-device link"), std::string::npos) << init_err;
  auto r = c.exec({c.name(), "mkdir", "/tmp/b"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("mkdir: can't create directory '/tmp/b': Invalid cross-device link"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("errno(EXDEV) mkdir"), std::string::npos) << r.err;  // explained
  r = c.exec({"-q", c.name(), "mkdir", "/tmp/b"});
  EXPECT_NE(r.err.find("Invalid cross-device link"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("errno(EXDEV)"), std::string::npos) << r.err;
}

TEST(Exec, ExitStatusIsTheCommandsOrTheRuntimes) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-status", kPolicy);
  EXPECT_EQ(c.exec({c.name(), "sh", "-c", "exit 7"}).status, 7);
  auto r = c.exec({c.name(), "no-such-command"});
  EXPECT_EQ(r.status, 127);
  EXPECT_NE(r.err.find("exec no-such-command: No such file or directory"), std::string::npos)
      << r.err;
  r = c.exec({c.name(), "/etc/passwd"});
  EXPECT_EQ(r.status, 126) << r.err;
  r = c.exec({"nobody-here", "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("no such container: nobody-here"), std::string::npos) << r.err;
  r = c.exec({"-w", "/nonexistent", c.name(), "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("'/nonexistent' does not exist"), std::string::npos) << r.err;
  ::kill(c.pid(), SIGKILL);
  for (int i = 0; i < 200 && ::kill(c.pid(), 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  r = c.exec({c.name(), "true"});
  EXPECT_EQ(r.status, 125);
  EXPECT_NE(r.err.find("is not running"), std::string::npos) << r.err;
}

// -t: a terminal of the container's own devpts; without it, no terminal at all.
TEST(Exec, TtyComesFromTheContainersDevpts) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-tty", kPolicy);
  auto r = c.exec({"-t", c.name(), "tty"});
  EXPECT_EQ(r.status, 0) << r.err << c.log();
  EXPECT_EQ(r.out.rfind("/dev/pts/", 0), 0u) << r.out;
  r = c.exec({c.name(), "tty"});
  EXPECT_EQ(r.out, "not a tty\n") << r.err;
}

// CVE-2016-9962: no descriptor of the runtime reaches the container. policyrun is started with
// a host directory open on fd 17 (not close-on-exec): the exec'd command must not have it.
TEST(Exec, NoHostDescriptorReachesTheCommand) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-fds", kPolicy);
  const int fd = ::open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 17), 17);
  ::close(fd);
  // `[` is the shell's own: /proc/self is sh; ls's 3 is the directory it reads.
  auto r = c.exec({c.name(), "sh", "-c",
                   "[ -e /proc/self/fd/17 ] && echo leaked || echo closed; "
                   "ls /proc/self/fd | tr '\\n' ' '"});
  ::close(17);
  EXPECT_EQ(r.status, 0) << r.err << c.log();
  EXPECT_EQ(r.out, "closed\n0 1 2 3 ") << r.err;
}

// CVE-2024-21626: a working directory through a descriptor the runtime holds on the host
// (/proc/self/fd/N) would leave the process outside the container's root: refused, nothing runs.
TEST(Exec, AWorkingDirectoryOutsideTheRootIsRefused) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-cwd", kPolicy);
  const int fd = ::open("/", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::dup2(fd, 17), 17);
  ::close(fd);
  for (const char* dir : {"/proc/self/fd/17", "/proc/self/cwd", "/proc/1/root/.."}) {
    auto r = c.exec({"-w", dir, c.name(), "sh", "-c", "echo ran in $(pwd)"});
    EXPECT_EQ(r.status, 125) << dir << ": " << r.out;
    EXPECT_EQ(r.out, "") << dir;
    EXPECT_NE(r.err.find("working directory '" + std::string(dir) + "'"), std::string::npos)
        << r.err;
  }
  ::close(17);
}

namespace {

// Host pids of the processes whose binary is `exe` and whose pid namespace is that of `pid`.
std::vector<pid_t> processes_running(const std::string& exe, pid_t pid) {
  std::vector<pid_t> out;
  const std::string ns = link_of("/proc/" + std::to_string(pid) + "/ns/pid");
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (link_of(e.path().string() + "/exe") == exe && link_of(e.path().string() + "/ns/pid") == ns)
      out.push_back(std::stoi(name));
  }
  return out;
}

// The pid `host_pid` has in its own pid namespace (the last NSpid field).
std::string pid_inside(pid_t host_pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(host_pid) + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("NSpid:", 0) == 0) return line.substr(line.find_last_of(" \t") + 1);
  return "";
}

}  // namespace

// CVE-2019-5736: while `policyrun exec` sets up the command it is the runtime's binary, inside
// the container's pid namespace. It is non-dumpable from birth, so root of a container with a
// user namespace and every capability in it cannot open its /proc/PID/exe (which it could
// otherwise overwrite once the runtime exits) nor read its memory. strace holds the exec'ing
// child in its setsid (right after it joined the namespaces) for 3 s while a second exec plays the
// attacker.
TEST(Exec, TheJoiningProcessIsNotDumpable) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()), needs::program("/usr/bin/strace"));
  Container c("exec-dumpable", R"(policy box {
  syscalls default allow {}
  capabilities keep all
  namespaces { user, mount, pid, ipc, uts, net, cgroup, uidmap 0 200000 65536, gidmap 0 200000 65536 }
}
)");
  const std::string exe = std::filesystem::canonical(policyrun_binary()).string();
  const std::string log = c.root() + "/strace.out";
  pid_t tracer = ::fork();
  ASSERT_GE(tracer, 0);
  if (tracer == 0) {
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execl("/usr/bin/strace", "strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=setsid", "-e",
            "inject=setsid:delay_enter=3000000", exe.c_str(), "exec", "--root", c.root().c_str(),
            c.name().c_str(), "true", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::vector<pid_t> joining;
  for (int i = 0; i < 300 && joining.empty(); ++i) {
    joining = processes_running(exe, c.pid());
    if (joining.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(joining.size(), 1u) << read_file(log);
  const std::string victim = pid_inside(joining[0]);
  ASSERT_FALSE(victim.empty());
  auto r = c.exec({c.name(), "sh", "-c",
                   "readlink /proc/" + victim + "/exe && echo exe-readable; head -c1 /proc/" +
                       victim + "/environ >/dev/null && echo environ-readable; ls /proc/" + victim +
                       "/ >/dev/null && echo visible"});
  int status = 0;
  ::waitpid(tracer, &status, 0);
  EXPECT_EQ(r.out, "visible\n") << r.err;
  EXPECT_NE(r.err.find("Permission denied"), std::string::npos) << r.err;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << read_file(log);
}

// A `chroot` policy's container did not pivot_root: the root of its mount namespace is still the
// host's tree. exec enters the container's root (its first process's /proc/PID/root), not that.
TEST(Exec, AChrootContainersRootIsEnteredNotItsMountNamespacesRoot) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-chroot", R"(policy box {
  syscalls default allow {}
  capabilities keep { CHOWN }
  namespaces { mount, pid, ipc, uts, net }
  process { no_new_privileges }
  rootfs { chroot }
}
)");
  auto r = c.exec({c.name(), "sh", "-c", "ls / | tr '\\n' ' '; cat /etc/passwd | head -1; pwd"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::string listing;
  for (const auto& e : std::filesystem::directory_iterator(launch_test::busybox_layer()))
    listing += e.path().filename().string() + " ";
  std::istringstream expected(listing);
  for (std::string name; expected >> name;)
    EXPECT_NE(r.out.find(name + " "), std::string::npos) << name << " in " << r.out;
  EXPECT_EQ(r.out.find("work "), std::string::npos) << r.out;  // the host's /work
  EXPECT_NE(r.out.find("root:"), std::string::npos) << r.out;
}

// -i: policyrun's stdin reaches the command; without it the command reads /dev/null.
TEST(Exec, InteractiveKeepsStdin) {
  SKIP_UNLESS(needs::root(), needs::program(policyrun_binary()));
  Container c("exec-stdin", kPolicy);
  const std::string out = c.root() + "/stdin.out";
  const std::string cmd = "echo through | " + launch_test::shell_quote(policyrun_binary()) +
                          " exec --root " + launch_test::shell_quote(c.root());
  ASSERT_EQ(std::system((cmd + " -i exec-stdin cat > " + out).c_str()), 0);
  EXPECT_EQ(read_file(out), "through\n");
  ASSERT_EQ(std::system((cmd + " exec-stdin cat > " + out).c_str()), 0);
  EXPECT_EQ(read_file(out), "");
}
