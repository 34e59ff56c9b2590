// The shipped policy library (policies/): every file loads, the groups hold only names libseccomp
// knows, @docker is exactly Docker's allowlist, docker-default.pol builds the same filter as runc +
// libseccomp build from Docker's JSON, and the filters really refuse what the policies say.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/caps/capability_formats.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/frontend/parse.hpp"
#include "compiler/seccomp/enosys.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/json.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support/runc_oracle.hpp"

using namespace policy;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kDockerCaps = 0x00000000a80425fbULL;

std::string source_dir() {
  const char* d = std::getenv("POLICY_SOURCE_DIR");
  return d ? d : fs::path(__FILE__).parent_path().parent_path().parent_path().string();
}
std::string policies_dir() {
  return source_dir() + "/policies";
}
std::string moby_json_path() {
  const char* d = std::getenv("POLICY_SHARED_DIR");
  std::string shared = d ? d : source_dir() + "/../shared";
  return shared + "/data/profiles/moby-default.seccomp.json";
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

uint32_t arch(const char* name) {
  return *names::arch_token(name);
}

std::vector<uint32_t> every_arch() {
  std::vector<uint32_t> out;
  for (const std::string& n : names::all_arch_names()) out.push_back(*names::arch_token(n));
  return out;
}

// Warnings the shipped policies are known to produce, each for a reason outside the policy text
// (reported to the front end; see the final report). Anything else fails the test.
bool known_warning(const Diagnostic& d) {
  // docker-default's rules for capabilities Docker does not keep are inactive by design.
  if (d.warning_name == warn::kCapabilityDropped) return true;
  return false;
}

std::optional<ir::Policy> load_text(const std::string& text, DiagnosticEngine& diags,
                                    frontend::LoadOptions options = {}) {
  return frontend::load_policy_text(policies_dir() + "/test-input.pol", text, options, diags);
}

std::string all_diags(const DiagnosticEngine& d) {
  std::stringstream ss;
  d.print_all(ss);
  return ss.str();
}

// The syscalls `allow @group` gives, on every architecture libseccomp knows.
std::set<std::string> group_members(const std::string& group) {
  DiagnosticEngine diags;
  frontend::LoadOptions o;
  o.arches = every_arch();
  auto p = load_text("include \"groups/all.pol\"\npolicy t { syscalls { allow @" + group + " } }\n",
                     diags, o);
  EXPECT_TRUE(p) << all_diags(diags);
  std::set<std::string> out;
  if (p)
    for (const auto& r : p->seccomp.rules) out.insert(r.syscall);
  return out;
}

std::vector<std::string> group_names() {
  std::vector<std::string> out;
  for (const char* f : {"groups/standard.pol", "groups/docker.pol"}) {
    DiagnosticEngine diags;
    std::string path = policies_dir() + "/" + f;
    auto file = frontend::parse_policy_text(path, read_file(path), diags);
    EXPECT_TRUE(file) << all_diags(diags);
    if (file)
      for (const auto& g : file->groups) out.push_back(g.name.text);
  }
  return out;
}

nlohmann::json moby_json() {
  return nlohmann::json::parse(read_file(moby_json_path()));
}

struct Build {
  seccomp::Program ours, optimized, docker;
  std::vector<uint32_t> arches;
  std::vector<uint64_t> constants;
};

// docker-default.pol (optionally extended by `extra` sections) through the front end and
// libseccomp, and Docker's JSON through the runc-like oracle, for the same caps/kernel/arches.
Build build_both(uint64_t caps, ir::KernelVersion kernel, std::vector<uint32_t> arches,
                 const std::string& extra = {}) {
  DiagnosticEngine diags;
  frontend::LoadOptions o;
  o.arches = arches;
  o.kernel = kernel;
  std::optional<ir::Policy> p;
  if (extra.empty())
    p = frontend::load_policy_file(policies_dir() + "/docker-default.pol", o, diags);
  else
    p = load_text(
        "include \"docker-default.pol\"\npolicy v extends docker-default {\n" + extra + "\n}\n",
        diags, o);
  Build b;
  b.arches = arches;
  if (!p) {
    ADD_FAILURE() << all_diags(diags);
    return b;
  }
  EXPECT_EQ(p->capabilities.bounding, caps) << caps::status_hex(p->capabilities.bounding);
  seccomp::LibseccompOptions lo;
  lo.kernel = kernel;
  lo.allow_multiplexer_widening =
      true;  // as runc does: x86 socketcall() gets the rule unconditioned
  b.ours = seccomp::compile_with_libseccomp(p->seccomp, lo);
  bpfgen::Options bo;
  bo.kernel = kernel;
  b.optimized = bpfgen::generate(p->seccomp, bo);
  importer::JsonImportOptions jo;
  jo.capabilities = caps;
  jo.kernel = kernel;
  jo.native_arches = {arches.front()};
  // runc puts its ENOSYS stub in front of libseccomp's filter (numbers above the highest syscall
  // the profile names); the oracle gets one here, built by seccomp::with_enosys_stub with this
  // project's rule (above libseccomp's table). Both rules give the same numbers on Docker's
  // profile: DockerDefault.RuncsEnosysRuleMatchesOursOnDockersProfile checks that.
  b.docker = seccomp::compile_json_like_runc(moby_json(), jo, /*enosys_stub=*/true);
  b.constants = seccomp::policy_constants(p->seccomp);
  return b;
}

void expect_same_as_docker(uint64_t caps, ir::KernelVersion kernel, std::vector<uint32_t> arches,
                           const std::string& extra = {}) {
  Build b = build_both(caps, kernel, arches, extra);
  ASSERT_FALSE(b.ours.empty());
  ASSERT_FALSE(b.docker.empty());
  for (const auto& [backend, prog] :
       {std::pair{"libseccomp", &b.ours}, std::pair{"policyc", &b.optimized}}) {
    auto diff = seccomp::first_difference(*prog, b.docker, b.arches, b.constants);
    EXPECT_FALSE(diff) << "docker-default.pol (" << backend << " backend) differs from Docker's "
                       << "JSON (caps " << caps::status_hex(caps) << ", kernel " << kernel.major
                       << "." << kernel.minor << ", " << extra << "): " << *diff;
  }
}

// Runs `body` in a child that installed `prog` (with no_new_privs); returns the child's wait
// status and what it wrote to the pipe (one line per probe).
std::pair<int, std::string> run_filtered(const seccomp::Program& prog,
                                         const std::function<void(int)>& body) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, ""};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    sock_fprog fprog{static_cast<unsigned short>(prog.size()),
                     const_cast<sock_filter*>(prog.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(90);
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) != 0) _exit(91);
    body(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int ws = 0;
  waitpid(pid, &ws, 0);
  return {ws, out};
}

// "name=ok" or "name=ERRNONAME" for one probe.
void report(int fd, const char* name, long rc) {
  std::string line = std::string(name) + "=" +
                     (rc >= 0 ? std::string("ok") : names::errno_name(errno).value_or("?")) + "\n";
  (void)!write(fd, line.data(), line.size());
}

// The policy's filter from both backends: policyc's own generator and libseccomp (allowed, as
// runc is, to apply socket() conditions unconditioned to x86's socketcall()).
seccomp::Program with_libseccomp(const ir::SeccompPolicy& p) {
  seccomp::LibseccompOptions lo;
  lo.allow_multiplexer_widening = true;
  return seccomp::compile_with_libseccomp(p, lo);
}

std::vector<std::pair<std::string, seccomp::Program>> both_backends(const ir::Policy& p) {
  return {{"policyc", bpfgen::generate(p.seccomp)}, {"libseccomp", with_libseccomp(p.seccomp)}};
}

std::optional<ir::Policy> load_shipped(const std::string& file) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(policies_dir() + "/" + file, {}, diags);
  EXPECT_TRUE(p) << all_diags(diags);
  return p;
}

}  // namespace

TEST(PolicyLibrary, EveryPolicyFileLoadsWithoutErrorsOrUnexpectedWarnings) {
  unsigned files = 0;
  for (const auto& e : fs::directory_iterator(policies_dir())) {
    if (e.path().extension() != ".pol") continue;
    ++files;
    DiagnosticEngine diags;
    auto p = frontend::load_policy_file(e.path().string(), {}, diags);
    EXPECT_TRUE(p) << e.path() << "\n" << all_diags(diags);
    EXPECT_FALSE(diags.has_errors()) << all_diags(diags);
    for (const Diagnostic& d : diags.diagnostics())
      if (d.severity == Severity::Warning) {
        EXPECT_TRUE(known_warning(d)) << e.path() << ": " << diags.render(d);
      }
  }
  EXPECT_GE(files, 3u);  // docker-default, web, redis
}

TEST(PolicyLibrary, GroupFilesAloneLoad) {
  for (const char* f : {"groups/standard.pol", "groups/docker.pol", "groups/all.pol"}) {
    DiagnosticEngine diags;
    auto p = load_text(std::string("include \"") + f + "\"\npolicy t { }\n", diags);
    EXPECT_TRUE(p) << f << "\n" << all_diags(diags);
    EXPECT_EQ(diags.warning_count(), 0u) << all_diags(diags);
  }
}

TEST(PolicyLibrary, EveryGroupHoldsOnlySyscallsLibseccompKnows) {
  auto groups = group_names();
  ASSERT_GE(groups.size(), 30u);
  for (const std::string& g : groups) {
    auto members = group_members(g);
    EXPECT_FALSE(members.empty()) << "@" << g;
    for (const std::string& s : members)
      EXPECT_TRUE(names::syscall_known(s)) << "@" << g << ": " << s;
  }
}

TEST(PolicyLibrary, SystemdGroupsAreTheUnionOfTheirParts) {
  auto merged = [](std::initializer_list<std::set<std::string>> parts) {
    std::set<std::string> out;
    for (const auto& p : parts) out.insert(p.begin(), p.end());
    return out;
  };
  EXPECT_EQ(group_members("default"),
            merged({group_members("default-core"), group_members("arch-runtime")}));
  EXPECT_EQ(group_members("aio"), merged({group_members("aio-core"), group_members("io-uring")}));
  EXPECT_EQ(group_members("ipc"),
            merged({group_members("ipc-core"), group_members("process-memory")}));
  EXPECT_EQ(group_members("signal"),
            merged({group_members("signal-core"), group_members("legacy-signal")}));
  // @system-service contains every core and @privileged contains @chown, @clock, @module, ...
  auto service = group_members("system-service");
  for (const char* part : {"default-core", "file-system-core", "network-io-core", "process-core",
                           "resources-core", "sync-core", "system-service-core", "io-uring"})
    for (const std::string& s : group_members(part))
      EXPECT_TRUE(service.count(s)) << "@system-service lacks " << s << " of @" << part;
  auto privileged = group_members("privileged");
  for (const char* part : {"chown", "clock", "module", "raw-io", "reboot", "swap"})
    for (const std::string& s : group_members(part))
      EXPECT_TRUE(privileged.count(s)) << "@privileged lacks " << s << " of @" << part;
  // Privileged calls stay out of the service set, as in systemd.
  for (const char* s : {"mount", "reboot", "init_module", "swapon", "ptrace", "bpf"})
    EXPECT_FALSE(service.count(s)) << s;
}

TEST(PolicyLibrary, DockerGroupIsExactlyDockersAllowlist) {
  nlohmann::json j = moby_json();
  std::set<std::string> docker;
  for (const auto& n : j["syscalls"][0]["names"])
    if (names::syscall_known(n.get<std::string>())) docker.insert(n.get<std::string>());
  ASSERT_GT(docker.size(), 340u);
  EXPECT_EQ(group_members("docker"), docker);
}

TEST(DockerDefault, CapabilitiesNamespacesAndPathsAreDockers) {
  auto p = load_shipped("docker-default.pol");
  ASSERT_TRUE(p);
  ir::CapabilitySets want;
  want.bounding = want.permitted = want.effective = kDockerCaps;
  EXPECT_EQ(p->capabilities, want) << caps::status_lines(p->capabilities);
  EXPECT_EQ(caps::status_hex(p->capabilities.effective), "00000000a80425fb");
  for (auto k : {ir::NamespaceKind::Mount, ir::NamespaceKind::Pid, ir::NamespaceKind::Ipc,
                 ir::NamespaceKind::Uts, ir::NamespaceKind::Net})
    EXPECT_TRUE(p->namespaces.has(k));
  EXPECT_FALSE(p->namespaces.has(ir::NamespaceKind::User));
  std::set<std::string> masked(p->rootfs.masked_paths.begin(), p->rootfs.masked_paths.end());
  EXPECT_EQ(masked,
            (std::set<std::string>{"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
                                   "/proc/keys", "/proc/latency_stats", "/proc/sched_debug",
                                   "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
                                   "/sys/devices/virtual/powercap", "/sys/firmware"}));
  std::set<std::string> ro(p->rootfs.readonly_paths.begin(), p->rootfs.readonly_paths.end());
  EXPECT_EQ(ro, (std::set<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                       "/proc/sysrq-trigger"}));
  EXPECT_FALSE(p->process.no_new_privileges);
  EXPECT_EQ(p->seccomp.default_action, (ir::Action{ir::ActionKind::Errno, EPERM}));
}

TEST(DockerDefault, DevicesSysctlsAndRootFlagsAreDockers) {
  auto p = load_shipped("docker-default.pol");
  ASSERT_TRUE(p);
  // The devices section is written out, and says exactly what a policy without one gets.
  EXPECT_TRUE(p->resources.devices.specified);
  auto key = [](const ir::DeviceRule& r) {
    return std::make_tuple(static_cast<char>(r.type), r.major, r.minor, r.access);
  };
  std::set<std::tuple<char, int64_t, int64_t, uint8_t>> got, want;
  for (const auto& r : p->resources.devices.rules) got.insert(key(r));
  for (const auto& r : ir::default_device_rules()) want.insert(key(r));
  EXPECT_EQ(got, want);
  EXPECT_EQ(p->resources.devices.rules.size(), 11u);
  ASSERT_EQ(p->sysctls.size(), 2u);
  EXPECT_EQ(p->sysctls[0].key, "net.ipv4.ping_group_range");
  EXPECT_EQ(p->sysctls[0].value, "0 2147483647");
  EXPECT_EQ(p->sysctls[1].key, "net.ipv4.ip_unprivileged_port_start");
  EXPECT_EQ(p->sysctls[1].value, "0");
  EXPECT_FALSE(p->rootfs.nosuid);  // Docker mounts the root neither nosuid nor nodev
  EXPECT_FALSE(p->rootfs.nodev);
  for (const char* pol : {"web.pol", "redis.pol"}) {
    auto q = load_shipped(pol);
    ASSERT_TRUE(q) << pol;
    EXPECT_TRUE(q->rootfs.nosuid) << pol;
    EXPECT_TRUE(q->rootfs.nodev) << pol;
    EXPECT_FALSE(q->resources.devices.specified) << pol;  // Docker's list by default
  }
}

TEST(DockerDefault, SameFilterAsRuncBuildsFromDockersJsonOnX86_64AndX32) {
  std::vector<uint32_t> x86_64 = {arch("x86_64"), arch("x32")};
  expect_same_as_docker(kDockerCaps, {6, 18}, x86_64);
  expect_same_as_docker(kDockerCaps, {4, 4}, x86_64);  // before 4.8: no ptrace
}

// x86 reaches the socket and SysV IPC calls through socketcall()/ipc() and, since Linux 4.3/5.1,
// through direct syscalls (socket = 359, ..., semget = 393, ...). libseccomp (so runc) allows the
// direct calls for the names and applies socket()'s condition unconditioned to socketcall().
TEST(DockerDefault, SameFilterAsRuncBuildsFromDockersJsonOnX86) {
  std::vector<uint32_t> all = {arch("x86_64"), arch("x86"), arch("x32")};
  expect_same_as_docker(kDockerCaps, {6, 18}, all);
  expect_same_as_docker(kDockerCaps, {4, 4}, all);
}

TEST(DockerDefault, SameFilterAsRuncBuildsFromDockersJsonOnArm) {
  expect_same_as_docker(kDockerCaps, {6, 18}, {arch("aarch64"), arch("arm")});
}

// runc answers ENOSYS above the highest syscall number the profile names on each arch
// (libcontainer/seccomp/patchbpf); policyc to the numbers above the end of libseccomp's table
// (seccomp::unknown_syscall_spans). On Docker's profile runc's range is policyc's exactly on
// x86_64, x32, x86 and aarch64, which is what lets the comparisons above give the oracle our stub.
// On arm Docker names arm's private calls up to set_tls (0xf0005), so runc's range starts above
// it (and takes get_tls, 0xf0006, which policyc leaves to the default: libseccomp knows it) and
// policyc's also takes the new syscalls below them (457..), which runc refuses with EPERM.
TEST(DockerDefault, RuncsEnosysRuleMatchesOursOnDockersProfile) {
  const nlohmann::json docker = moby_json();
  for (const char* name : {"x86_64", "x32", "x86", "aarch64", "arm"}) {
    const uint32_t arch = *names::arch_token(name);
    int runc_last = -1;
    for (const auto& entry : docker["syscalls"])
      for (const auto& n : entry["names"])
        if (auto nr = names::syscall_number(n.get<std::string>(), arch))
          runc_last = std::max(runc_last, *nr);
    const std::vector<seccomp::NumberSpan> ours = seccomp::unknown_syscall_spans(arch);
    ASSERT_FALSE(ours.empty()) << name;
    // Every number runc answers with ENOSYS that libseccomp does not know, policyc does too.
    const uint32_t first = static_cast<uint32_t>(runc_last) + 1;
    for (uint32_t nr = first; nr < first + 64; ++nr)
      EXPECT_TRUE(seccomp::is_unknown_syscall_number(arch, nr) ||
                  names::syscall_name(static_cast<int>(nr), arch))
          << name << " nr " << nr;
    EXPECT_EQ(ours.back().hi, std::string(name) == "x86_64" ? 0x3fffffffU : 0xfffffffeU) << name;
    if (std::string(name) != "arm") {
      EXPECT_EQ(ours.size(), 1u) << name;
      EXPECT_EQ(ours.front().lo, first)
          << name << ": the highest syscall Docker's profile names is not the end of libseccomp's "
          << "table, so runc's ENOSYS range and policyc's differ";
    }
  }
}

TEST(DockerDefault, SameFilterWhenCapabilitiesAreAdded) {
  std::vector<uint32_t> x86 = {arch("x86_64"), arch("x86"), arch("x32")};
  for (const char* cap : {"SYS_ADMIN", "SYS_PTRACE", "SYS_TIME", "SYS_NICE", "SYS_MODULE", "BPF",
                          "PERFMON", "DAC_READ_SEARCH", "SYS_RAWIO", "SYSLOG"}) {
    uint64_t caps = kDockerCaps | (1ULL << *names::capability_number(cap));
    expect_same_as_docker(caps, {6, 18}, x86, std::string("capabilities { add { ") + cap + " } }");
  }
  expect_same_as_docker(kDockerCaps & ~(1ULL << *names::capability_number("SYS_CHROOT")), {6, 18},
                        x86, "capabilities { drop { SYS_CHROOT } }");
}

// The kernel as judge: docker-default's filter installed in a child refuses what Docker refuses.
TEST(DockerDefault, KernelRefusesWhatDockerRefuses) {
  auto p = load_shipped("docker-default.pol");
  ASSERT_TRUE(p);
  for (const auto& [backend, prog] : both_backends(*p)) {
    SCOPED_TRACE(backend + " backend");
    auto [ws, out] = run_filtered(prog, [](int fd) {
      report(fd, "getpid", getpid());
      int s = socket(AF_INET, SOCK_STREAM, 0);
      report(fd, "socket_inet", s);
      if (s >= 0) close(s);
      report(fd, "socket_alg", socket(AF_ALG, SOCK_SEQPACKET, 0));
      report(fd, "socket_vsock", socket(AF_VSOCK, SOCK_STREAM, 0));
      report(fd, "mount", mount("none", "/nonexistent", "tmpfs", 0, nullptr));
      report(fd, "unshare", unshare(CLONE_NEWNS));
      report(fd, "clone3", syscall(SYS_clone3, nullptr, 0));
      report(fd, "personality_query", personality(0xffffffff));
      report(fd, "personality_norandom", personality(ADDR_NO_RANDOMIZE));
      report(fd, "keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
    });
    ASSERT_TRUE(WIFEXITED(ws)) << "child died: status " << ws;
    ASSERT_EQ(WEXITSTATUS(ws), 0) << "could not install the filter";
    for (const char* want : {"getpid=ok", "socket_inet=ok", "socket_alg=EPERM",
                             "socket_vsock=EPERM", "mount=EPERM", "unshare=EPERM", "clone3=ENOSYS",
                             "personality_query=ok", "personality_norandom=EPERM", "keyctl=EPERM"})
      EXPECT_NE(out.find(std::string(want) + "\n"), std::string::npos) << want << " in:\n" << out;
  }
}

TEST(WebPolicy, KeepsFourCapabilitiesAndKillsPtrace) {
  auto p = load_shipped("web.pol");
  ASSERT_TRUE(p);
  EXPECT_EQ(
      caps::names(p->capabilities.bounding),
      (std::vector<std::string>{"CAP_CHOWN", "CAP_SETGID", "CAP_SETUID", "CAP_NET_BIND_SERVICE"}));
  EXPECT_EQ(p->capabilities.ambient, 0u);
  EXPECT_TRUE(p->process.no_new_privileges);
  for (const auto& [backend, prog] : both_backends(*p)) {
    SCOPED_TRACE(backend + " backend");
    auto [ws, out] = run_filtered(prog, [](int fd) {
      int s = socket(AF_INET6, SOCK_STREAM, 0);
      report(fd, "socket_inet6", s);
      if (s >= 0) close(s);
      report(fd, "socket_netlink", socket(AF_NETLINK, SOCK_RAW, 0));
      report(fd, "socket_packet", socket(AF_PACKET, SOCK_RAW, 0));
      report(fd, "io_uring_setup", syscall(SYS_io_uring_setup, 1, nullptr));
      report(fd, "mount", mount("none", "/nonexistent", "tmpfs", 0, nullptr));
      report(fd, "personality", personality(0xffffffff));
      report(fd, "clone3", syscall(SYS_clone3, nullptr, 0));
      pid_t child = fork();  // clone without namespace flags
      if (child == 0) _exit(0);
      report(fd, "fork", child);
      if (child > 0) waitpid(child, nullptr, 0);
      ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);  // kill: the process dies here
      report(fd, "ptrace", 0);
    });
    EXPECT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS) << "status " << ws << "\n" << out;
    for (const char* want :
         {"socket_inet6=ok", "socket_netlink=EPERM", "socket_packet=EPERM", "io_uring_setup=EPERM",
          "mount=EPERM", "personality=EPERM", "clone3=ENOSYS", "fork=ok"})
      EXPECT_NE(out.find(std::string(want) + "\n"), std::string::npos) << want << " in:\n" << out;
    EXPECT_EQ(out.find("ptrace="), std::string::npos) << out;
  }
}

TEST(RedisPolicy, NoCapabilitiesAndNoMountOrKeyring) {
  auto p = load_shipped("redis.pol");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->capabilities, ir::CapabilitySets{});
  EXPECT_EQ(p->process.user, "redis");  // looked up in the image: Debian's id is not fixed
  for (const auto& [backend, prog] : both_backends(*p)) {
    SCOPED_TRACE(backend + " backend");
    auto [ws, out] = run_filtered(prog, [](int fd) {
      int sv[2];
      report(fd, "socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
      report(fd, "setuid", setuid(0));
      syscall(SYS_keyctl, 0, 0, 0, 0, 0);  // kill
      report(fd, "keyctl", 0);
    });
    EXPECT_TRUE(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS) << "status " << ws << "\n" << out;
    for (const char* want : {"socketpair=ok", "setuid=EPERM"})
      EXPECT_NE(out.find(std::string(want) + "\n"), std::string::npos) << want << " in:\n" << out;
    EXPECT_EQ(out.find("keyctl="), std::string::npos) << out;
  }
}

// web.pol and redis.pol refuse the two ioctl requests that inject input into a terminal or drive
// the console, whatever the upper 32 bits of the request (the kernel reads it as 32 bits), and
// both backends build it: libseccomp gets the other values of the request as masked equalities.
TEST(ShippedPolicies, TerminalInjectionIoctlsAreRefusedAndOthersAllowed) {
  for (const char* file : {"web.pol", "redis.pol"}) {
    SCOPED_TRACE(file);
    auto p = load_shipped(file);
    ASSERT_TRUE(p);
    for (const auto& [backend, prog] : both_backends(*p)) {
      SCOPED_TRACE(backend + " backend");
      auto [ws, out] = run_filtered(prog, [](int fd) {
        int sv[2];
        if (pipe(sv) != 0) return;
        char c = 'x';
        int n = 0;
        report(fd, "tiocsti", ioctl(sv[0], TIOCSTI, &c));
        report(fd, "tioclinux", ioctl(sv[0], TIOCLINUX, &c));
        report(fd, "tiocsti_high", syscall(SYS_ioctl, sv[0], (1UL << 32) | TIOCSTI, &c));
        report(fd, "fionread", ioctl(sv[0], FIONREAD, &n));
        report(fd, "tiocgwinsz", ioctl(sv[0], TIOCGWINSZ, &n));
      });
      EXPECT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0) << "status " << ws << "\n" << out;
      // Unfiltered, a pipe answers ENOTTY to the terminal requests: EPERM is the filter's.
      for (const char* want : {"tiocsti=EPERM", "tioclinux=EPERM", "tiocsti_high=EPERM",
                               "fionread=ok", "tiocgwinsz=ENOTTY"})
        EXPECT_NE(out.find(std::string(want) + "\n"), std::string::npos) << want << " in:\n" << out;
    }
  }
}
