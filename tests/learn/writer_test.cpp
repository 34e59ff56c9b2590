// Learn mode's pure half: observations, globs, groups, merge, and the learned policy's text, which
// the real policyc must compile without a warning and which must refuse what was not seen.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "runtime/learn/groups.hpp"
#include "runtime/learn/paths.hpp"
#include "runtime/learn/recorder.hpp"
#include "runtime/learn/values.hpp"
#include "runtime/learn/writer.hpp"

namespace fs = std::filesystem;
using namespace policy;
using namespace policy::learn;

namespace {

std::string source_dir() {
  return std::getenv("POLICY_SOURCE_DIR");
}
std::string policies_dir() {
  return source_dir() + "/policies";
}

ir::Policy load(const std::string& file) {
  DiagnosticEngine diags;
  frontend::LoadOptions o;
  o.include_dirs = {policies_dir()};
  auto p = frontend::load_policy_file(file, o, diags);
  std::ostringstream os;
  diags.print_all(os);
  EXPECT_TRUE(p) << os.str();
  return p ? *p : ir::Policy{};
}

struct TempDir {
  fs::path path;
  TempDir() {
    char t[] = "/tmp/learn-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* f = popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
  int status = pclose(f);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

const First kSh{7, "sh"};

// What a small shell workload does: start, read its libraries and config, write a file, make
// one Unix and one TCP socket, bind port 8080.
Observations shell_workload() {
  Observations o;
  o.runs = 1;
  for (const char* s : {"execve",
                        "brk",
                        "mmap",
                        "mprotect",
                        "munmap",
                        "read",
                        "write",
                        "close",
                        "openat",
                        "newfstatat",
                        "exit_group",
                        "arch_prctl",
                        "set_tid_address",
                        "getpid",
                        "rt_sigaction",
                        "rt_sigprocmask",
                        "bind",
                        "listen",
                        "wait4",
                        "vfork",
                        "io_uring_setup",
                        "io_uring_enter",
                        "io_uring_register"})
    add_syscall(o, "x86_64", s, kSh);
  auto socket_arg = checked_argument("socket");
  EXPECT_TRUE(socket_arg);
  add_syscall(o, "x86_64", "socket", kSh, static_cast<int>(*socket_arg), AF_UNIX);
  add_syscall(o, "x86_64", "socket", kSh, static_cast<int>(*socket_arg), AF_INET);
  o.runtime_syscalls["x86_64"] = {"close_range", "rt_sigprocmask", "execve"};
  o.enosys["clone3"] = 1;
  for (const char* lib :
       {"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6"})
    add_file(o, lib, kRead | kMap, kSh);
  add_file(o, "/etc/passwd", kRead, kSh);
  add_file(o, "/bin/busybox", kExec, kSh);
  add_file(o, "/tmp/out/result", kWrite | kCreate, kSh);
  add_socket(o, AF_UNIX, SOCK_STREAM, kSh);
  add_socket(o, AF_INET, SOCK_STREAM, kSh);
  add_port(o, "bind", "tcp", 8080, kSh);
  add_port(o, "bind", "udp", 5353, kSh);
  return o;
}

struct Written {
  TempDir dir;
  std::string file, text;
};

void write_policy(const Observations& seen, Written& w, const std::string& base_file = "") {
  static const ir::Policy docker_default = load(policies_dir() + "/docker-default.pol");
  static const SyscallGroups groups = load_groups(policies_dir() + "/groups");
  const ir::Policy base = base_file.empty() ? docker_default : load(base_file);
  w.file = (w.dir.path / "shell.pol").string();
  WriterInput in;
  in.seen = &seen;
  in.base = &base;
  in.base_file = base_file.empty() ? policies_dir() + "/docker-default.pol" : base_file;
  in.out_file = w.file;
  in.groups = &groups;
  w.text = write_learned_policy(in);
  std::ofstream(w.file) << w.text;
}

ir::Action decide(const ir::Policy& p, const std::string& syscall, uint64_t arg0 = 0) {
  uint32_t arch = *names::arch_token("x86_64");
  int nr = *names::syscall_number(syscall, arch);
  seccomp::Args args{};
  args[0] = arg0;
  return seccomp::decide(p.seccomp, arch, static_cast<uint32_t>(nr), args,
                         frontend::host_kernel_version());
}

}  // namespace

TEST(LearnPaths, LibrariesCollapseToTheirTopAndBusyDirectoriesToTheirTree) {
  std::map<std::string, FileSeen> files;
  auto add = [&](const std::string& p, uint32_t use) { files[p] = FileSeen{use, 1, kSh}; };
  add("/usr/lib/x86_64-linux-gnu/libc.so.6", kRead | kMap);
  add("/lib64/ld-linux-x86-64.so.2", kRead | kMap);
  for (const char* f : {"a.conf", "b.conf", "c.conf", "sites/default"})
    add(std::string("/etc/app/") + f, kRead);
  for (const char* f : {"/etc/passwd", "/etc/group", "/etc/hosts", "/etc/resolv.conf"})
    add(f, kRead);
  add("/var/log/app/access.log", kWrite | kCreate);
  add("/etc/app2/one.conf", kRead);
  add("/proc/self/status", kRead);
  add("/tmp/x*y", kRead);
  std::vector<std::string> skipped;
  std::map<std::string, uint32_t> got;
  for (const auto& l : learned_paths(files, &skipped)) got[l.pattern] = l.use;
  std::map<std::string, uint32_t> want = {
      {"/usr/lib/**", kRead | kMap},
      {"/lib64/**", kRead | kMap},
      {"/etc/app/**", kRead},  // 4 entries two levels deep
      {"/etc/passwd", kRead},  // /etc is one level deep: never /etc/**
      {"/etc/group", kRead},
      {"/etc/hosts", kRead},
      {"/etc/resolv.conf", kRead},
      {"/etc/app2/one.conf", kRead},          // one entry: stays exact
      {"/var/log/app/**", kWrite | kCreate},  // created there
      {"/proc/self/status", kRead},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(skipped, std::vector<std::string>{"/tmp/x*y"});
  EXPECT_EQ(access_words(kRead | kMap), "read+map");
  EXPECT_EQ(access_words(kWrite | kCreate), "write");
}

TEST(LearnPaths, AWriteUnderALibraryTopStaysItsOwnRule) {
  std::map<std::string, FileSeen> files;
  files["/usr/lib/x86_64-linux-gnu/libc.so.6"] = FileSeen{kRead | kMap, 3, kSh};
  files["/usr/lib/app/state"] = FileSeen{kRead | kWrite, 1, kSh};
  std::map<std::string, uint32_t> got;
  for (const auto& l : learned_paths(files)) got[l.pattern] = l.use;
  EXPECT_EQ(got, (std::map<std::string, uint32_t>{{"/usr/lib/**", kRead | kMap},
                                                  {"/usr/lib/app/state", kRead | kWrite}}));
}

TEST(LearnValues, ConstantsComeFromTheLanguagesOwnTable) {
  EXPECT_EQ(value_text("socket", 0, AF_INET), "AF_INET");
  EXPECT_EQ(value_text("socket", 0, AF_UNIX), "AF_UNIX");
  EXPECT_EQ(value_text("clone", 0, 0x01200011),  // what fork() passes
            "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
  EXPECT_EQ(value_text("ioctl", 1, 0x5401), "TCGETS");
  EXPECT_EQ(value_text("prctl", 0, 15), "PR_SET_NAME");
  EXPECT_EQ(value_text("personality", 0, 0xffffffff), "0xffffffff");
}

TEST(LearnData, RoundTripsAndMerges) {
  Observations a = shell_workload();
  auto back = read_learn_data("policy x {}\n" + learn_data_block(a), "x.pol");
  ASSERT_TRUE(back);
  EXPECT_EQ(to_json(*back), to_json(a));
  Observations merged = a;
  merge(merged, a);
  EXPECT_EQ(merged.runs, 2u);
  EXPECT_EQ(merged.syscalls["x86_64"]["read"].count, 2u);
  EXPECT_EQ(merged.files["/etc/passwd"].count, 2u);
  EXPECT_EQ(merged.syscalls["x86_64"]["socket"].values, (std::set<uint64_t>{AF_UNIX, AF_INET}));
  EXPECT_FALSE(read_learn_data("policy x {}\n", "x.pol"));
  EXPECT_THROW(read_learn_data("# learn-data: {\"version\": 1, \"syscalls\": 3}\n", "x.pol"),
               policy::Error);
}

TEST(LearnWriter, CompilesWithoutWarningsAndIsStable) {
  Observations seen = shell_workload();
  Written w;
  write_policy(seen, w);
  auto [status, out] = run(std::string("\"") + std::getenv("POLICYC") + "\" compile " + w.file +
                           " -o " + (w.dir.path / "out").string());
  EXPECT_EQ(status, 0) << out << "\n" << w.text;
  EXPECT_EQ(out.find("warning"), std::string::npos) << out << "\n" << w.text;
  Written again;
  write_policy(seen, again);
  EXPECT_EQ(w.text, again.text);
  EXPECT_NE(w.text.find("policy shell extends docker-default {"), std::string::npos) << w.text;
  EXPECT_NE(w.text.find("allow @io-uring"), std::string::npos) << w.text;  // the whole group
  EXPECT_EQ(w.text.find("allow io_uring_setup"), std::string::npos) << w.text;
  EXPECT_NE(w.text.find("allow socket(domain in {AF_UNIX, AF_INET})"), std::string::npos) << w.text;
  EXPECT_NE(w.text.find("read+map /usr/lib/**"), std::string::npos) << w.text;
  // docker-default keeps no_new_privileges off and drops SYS_ADMIN: no Landlock, so the port is
  // a comment, not a rule that would make the launch fail.
  EXPECT_NE(w.text.find("    # bind tcp 8080: 1 call"), std::string::npos) << w.text;
  EXPECT_NE(w.text.find("# 1 call, first by sh (pid 7)"), std::string::npos) << w.text;
}

TEST(LearnWriter, TheLearnedPolicyRefusesWhatWasNotSeen) {
  Observations seen = shell_workload();
  Written w;
  write_policy(seen, w);
  ir::Policy learned = load(w.file);
  const ir::Action allow{ir::ActionKind::Allow, 0}, eperm{ir::ActionKind::Errno, 1};
  EXPECT_EQ(decide(learned, "read"), allow);
  EXPECT_EQ(decide(learned, "io_uring_setup"), allow);
  EXPECT_EQ(decide(learned, "socket", AF_INET), allow);
  EXPECT_EQ(decide(learned, "socket", AF_UNIX), allow);
  EXPECT_EQ(decide(learned, "socket", AF_NETLINK), eperm) << w.text;  // docker-default allows it
  EXPECT_EQ(decide(learned, "mkdir"), eperm) << w.text;               // docker-default allows it
  EXPECT_EQ(decide(learned, "close_range"), allow);  // the runtime's own call keeps the base's
  EXPECT_EQ(decide(learned, "clone3"), (ir::Action{ir::ActionKind::Errno, ENOSYS}));
}

TEST(LearnWriter, ASecondRunMergesIntoTheSameFile) {
  Observations first = shell_workload();
  Written w;
  write_policy(first, w);
  auto previous = read_learn_data(w.text, w.file);
  ASSERT_TRUE(previous);
  Observations second;
  second.runs = 1;
  add_syscall(second, "x86_64", "mkdir", kSh);
  merge(*previous, second);
  Written merged;
  write_policy(*previous, merged);
  EXPECT_NE(merged.text.find("from 2 runs"), std::string::npos) << merged.text;
  ir::Policy learned = load(merged.file);
  EXPECT_EQ(decide(learned, "mkdir"), (ir::Action{ir::ActionKind::Allow, 0}));
  EXPECT_EQ(decide(learned, "read"), (ir::Action{ir::ActionKind::Allow, 0}));
}

TEST(LearnWriter, PortAndFileRulesAreWrittenWhenTheBaseCanApplyLandlock) {
  Written w;
  TempDir base_dir;
  const std::string base = (base_dir.path / "nnp.pol").string();
  std::ofstream(base) << "include \"" << policies_dir()
                      << "/docker-default.pol\"\npolicy nnp extends docker-default {\n"
                         "  process { no_new_privileges }\n  filesystem { read /etc/** }\n}\n";
  write_policy(shell_workload(), w, base);
  EXPECT_NE(w.text.find("\n    bind tcp 8080 "), std::string::npos) << w.text;
  EXPECT_NE(w.text.find("\n    read+map /usr/lib/**"), std::string::npos) << w.text;
  auto [status, out] = run(std::string("\"") + std::getenv("POLICYC") + "\" compile " + w.file +
                           " -o " + (w.dir.path / "out").string());
  EXPECT_EQ(status, 0) << out << "\n" << w.text;
  EXPECT_EQ(out.find("warning"), std::string::npos) << out << "\n" << w.text;
}

TEST(LearnRecorder, WhatACallMeans) {
  launch::notify::Call c;
  c.name = "openat";
  c.path = "/etc/passwd";
  c.args[2] = O_RDONLY;
  EXPECT_EQ(meaning_of(c, "", "").files,
            (std::vector<std::pair<std::string, uint32_t>>{{"/etc/passwd", kRead}}));
  c.args[2] = O_WRONLY | O_CREAT | O_TRUNC;
  EXPECT_EQ(meaning_of(c, "", "").files[0].second, kWrite | kCreate);
  c.args[2] = O_PATH;
  EXPECT_TRUE(meaning_of(c, "", "").files.empty());  // a handle: no access
  c = {};
  c.name = "mmap";
  c.args[2] = PROT_READ | PROT_EXEC;
  EXPECT_EQ(meaning_of(c, "/usr/lib/libc.so.6", "").files[0].second, kMap);
  c.args[2] = PROT_READ;
  EXPECT_TRUE(meaning_of(c, "/usr/lib/libc.so.6", "").files.empty());
  c = {};
  c.name = "socket";
  c.args[0] = AF_INET6;
  c.args[1] = SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK;
  CallMeaning m = meaning_of(c, "", "");
  EXPECT_EQ(m.socket_family, AF_INET6);
  EXPECT_EQ(m.socket_type, SOCK_STREAM);
  c = {};
  c.name = "bind";
  c.family = AF_INET;
  c.port = 80;
  m = meaning_of(c, "", "tcp");
  EXPECT_EQ(m.port_kind, "bind");
  EXPECT_EQ(m.port_protocol, "tcp");
  EXPECT_EQ(m.port, 80);
  c.family = AF_UNIX;
  EXPECT_EQ(meaning_of(c, "", "").port, -1);
  c = {};
  c.name = "renameat2";
  c.path = "/tmp/a";
  c.path2 = "/tmp/b";
  EXPECT_EQ(meaning_of(c, "", "").files, (std::vector<std::pair<std::string, uint32_t>>{
                                             {"/tmp/a", kWrite}, {"/tmp/b", kWrite | kCreate}}));
}

TEST(LearnRecorder, RecordsFromTheFirstExecveAndAnswersEnosysWhereTheBaseDoes) {
  static const ir::Policy base = load(policies_dir() + "/docker-default.pol");
  Recorder r(base);
  const uint32_t x86_64 = *names::arch_token("x86_64");
  auto call = [&](const std::string& name, uint64_t arg0 = 0) {
    launch::notify::Call c;
    c.pid = getpid();
    c.arch = seccomp::audit_arch(x86_64);
    c.nr = *names::syscall_number(name, x86_64);
    c.name = name;
    c.args[0] = arg0;
    if (name == "execve") c.path = "/bin/prog";
    return r.on_call(c);
  };
  using launch::notify::Reply;
  EXPECT_EQ(call("close_range").kind, Reply::Continue);  // the runtime's, before the execve
  EXPECT_EQ(call("execve").kind, Reply::Continue);
  EXPECT_EQ(call("socket", AF_INET).kind, Reply::Continue);
  Reply clone3 = call("clone3");  // docker-default: errno(ENOSYS) clone3, the libc's fallback cue
  EXPECT_EQ(clone3.kind, Reply::Error);
  EXPECT_EQ(clone3.error, ENOSYS);
  const Observations& o = r.observations();
  EXPECT_TRUE(o.runtime_syscalls.at("x86_64").count("close_range"));
  EXPECT_FALSE(o.syscalls.at("x86_64").count("close_range"));
  EXPECT_EQ(o.syscalls.at("x86_64").at("execve").first.command, "prog");
  EXPECT_EQ(o.syscalls.at("x86_64").at("socket").values, std::set<uint64_t>{AF_INET});
  EXPECT_EQ(o.enosys.at("clone3"), 1u);
  EXPECT_FALSE(o.syscalls.at("x86_64").count("clone3"));
  EXPECT_EQ(o.files.at("/bin/prog").use, kExec);
}

// Every shipped policy can be a base: the learned policy compiles without a warning.
TEST(LearnWriter, EveryShippedPolicyCanBeTheBase) {
  for (const auto& e : fs::directory_iterator(policies_dir())) {
    if (e.path().extension() != ".pol") continue;
    SCOPED_TRACE(e.path().string());
    Written w;
    write_policy(shell_workload(), w, e.path().string());
    auto [status, out] = run(std::string("\"") + std::getenv("POLICYC") + "\" compile " + w.file +
                             " -o " + (w.dir.path / "out").string());
    EXPECT_EQ(status, 0) << out << "\n" << w.text;
    EXPECT_EQ(out.find("warning"), std::string::npos) << out << "\n" << w.text;
  }
}
