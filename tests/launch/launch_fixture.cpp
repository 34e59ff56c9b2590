#include "launch/launch_fixture.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "compiler/common/names.hpp"
#include "runtime/launch/cgroup.hpp"

namespace fs = std::filesystem;

namespace launch_test {
namespace {

struct Scratch {
  std::string dir;
  Scratch() {
    char tmpl[] = "/tmp/policyrun-launch-test-XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
    dir = tmpl;
    ::chmod(tmpl, 0711);  // a user namespace's root must be able to reach the layers
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

std::string read_fd(int fd) {
  std::string out;
  ::lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

}  // namespace

const std::string& scratch() {
  static Scratch s;
  return s.dir;
}

std::string new_layer(const std::string& name) {
  std::string d = scratch() + "/layers/" + name;
  fs::create_directories(d);
  return d;
}

std::string state_root() {
  return scratch() + "/state";
}

const std::string& busybox_layer() {
  static const std::string dir = [] {
    std::string d = new_layer("busybox");
    for (const char* sub : {"bin", "proc", "sys", "dev", "tmp", "etc", "root"})
      fs::create_directories(d + "/" + sub);
    fs::copy_file("/bin/busybox", d + "/bin/busybox");
    ::chmod((d + "/bin/busybox").c_str(), 0755);
    for (const char* applet :
         {"sh",   "cat",  "echo", "ls",    "id",   "hostname", "readlink", "mount", "sleep", "head",
          "dd",   "grep", "true", "false", "test", "touch",    "mkdir",    "wc",    "cut",   "tr",
          "kill", "tty",  "stat", "env",   "pwd",  "ps",       "sed",      "uname", "rm"})
      fs::create_symlink("busybox", d + "/bin/" + applet);
    std::ofstream(d + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n";
    std::ofstream(d + "/etc/group") << "root:x:0:\n";
    return d;
  }();
  return dir;
}

uint64_t docker_caps() {
  uint64_t m = 0;
  for (const char* n :
       {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
        "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}) {
    auto c = policy::names::capability_number(n);
    if (!c) throw std::runtime_error(std::string("libcap does not know ") + n);
    m |= 1ULL << *c;
  }
  return m;
}

policy::ir::Policy docker_like_policy() {
  using namespace policy::ir;
  Policy p;
  p.name = "test";
  for (auto k : {NamespaceKind::Mount, NamespaceKind::Pid, NamespaceKind::Ipc, NamespaceKind::Uts,
                 NamespaceKind::Net, NamespaceKind::Cgroup})
    p.namespaces.namespaces.push_back({k, "", {}});
  uint64_t caps = docker_caps();
  p.capabilities.bounding = p.capabilities.permitted = p.capabilities.effective = caps;
  p.rootfs.masked_paths = {"/proc/asound",
                           "/proc/acpi",
                           "/proc/kcore",
                           "/proc/keys",
                           "/proc/latency_stats",
                           "/proc/timer_list",
                           "/proc/timer_stats",
                           "/proc/sched_debug",
                           "/proc/scsi",
                           "/sys/firmware",
                           "/sys/devices/virtual/powercap"};
  p.rootfs.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                             "/proc/sysrq-trigger"};
  p.process.no_new_privileges = true;
  return p;
}

std::vector<sock_filter> seccomp_deny(const std::vector<std::string>& denied, int err) {
  return seccomp_filter(denied, SCMP_ACT_ERRNO(static_cast<uint32_t>(err)));
}

std::vector<sock_filter> seccomp_filter(const std::vector<std::string>& denied, uint32_t action) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  for (const auto& name : denied) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) throw std::runtime_error("libseccomp does not know " + name);
    seccomp_rule_add(ctx, action, nr, 0);
  }
  int fd = ::memfd_create("bpf", MFD_CLOEXEC);
  seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  std::string bytes = read_fd(fd);
  ::close(fd);
  std::vector<sock_filter> prog(bytes.size() / sizeof(sock_filter));
  std::memcpy(prog.data(), bytes.data(), prog.size() * sizeof(sock_filter));
  return prog;
}

Result run_request(policy::launch::LaunchRequest req) {
  int out = ::memfd_create("out", MFD_CLOEXEC), err = ::memfd_create("err", MFD_CLOEXEC),
      diag = ::memfd_create("diag", MFD_CLOEXEC);
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  req.stdin_fd = in;
  req.stdout_fd = out;
  req.stderr_fd = err;
  req.diagnostics_fd = diag;
  Result r;
  struct Closer {
    int a, b, c, d;
    ~Closer() { ::close(a), ::close(b), ::close(c), ::close(d); }
  } closer{out, err, diag, in};
  r.status = policy::launch::launch(req);
  r.out = read_fd(out);
  r.err = read_fd(err);
  r.diag = read_fd(diag);
  return r;
}

policy::launch::LaunchRequest busybox_request(const policy::ir::Policy& policy,
                                              std::vector<std::string> argv) {
  policy::launch::LaunchRequest req;
  req.policy = &policy;
  req.lower_dirs = {busybox_layer()};
  req.argv = std::move(argv);
  req.env = {"PATH=/bin"};
  req.state_root = state_root();
  return req;
}

Result run(const policy::ir::Policy& policy, const std::string& script,
           std::vector<std::string> layers, std::vector<sock_filter> filter, bool init,
           const std::string& cwd) {
  policy::launch::LaunchRequest req = busybox_request(policy, {"/bin/sh", "-c", script});
  if (!layers.empty()) req.lower_dirs = std::move(layers);
  req.env.push_back("HOME=/root");
  req.seccomp_filter = std::move(filter);
  req.init = init;
  req.cwd = cwd;
  req.apparmor = policy::launch::AppArmorMode::Off;
  req.landlock = policy::launch::LandlockMode::Off;
  return run_request(std::move(req));
}

std::vector<std::string> host_mount_lines_mentioning(const std::string& needle) {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos) out.push_back(line);
  return out;
}

std::vector<std::string> policyrun_cgroup_dirs() {
  std::vector<std::string> out;
  std::ifstream self("/proc/self/cgroup");
  std::stringstream ss;
  ss << self.rdbuf();
  auto layout = policy::launch::cgroup::detect();
  auto check = [&](const std::string& mount, const std::string& root, const std::string& ctrl) {
    std::string base = policy::launch::cgroup::own_dir(
                           mount, root, policy::launch::cgroup::own_path(ss.str(), ctrl)) +
                       "/policyrun";
    DIR* d = ::opendir(base.c_str());
    if (!d) return;
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.push_back(base + "/" + e->d_name);
    ::closedir(d);
  };
  for (const auto& [ctrl, mount] : layout.v1_mounts) check(mount, layout.v1_roots.at(ctrl), ctrl);
  if (!layout.v2_mount.empty()) check(layout.v2_mount, layout.v2_root, "");
  return out;
}

std::string policyrun_binary() {
  if (const char* bin = std::getenv("POLICYRUN"); bin && *bin) return bin;
  return (fs::read_symlink("/proc/self/exe").parent_path() / "policyrun").string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CliResult run_policyrun(const std::vector<std::string>& args) {
  static int serial = 0;
  std::string cmd = shell_quote(policyrun_binary());
  for (const auto& a : args) cmd += " " + shell_quote(a);
  const std::string base = scratch() + "/policyrun-" + std::to_string(++serial);
  cmd += " </dev/null >" + base + ".out 2>" + base + ".err";
  const int rc = std::system(cmd.c_str());
  return CliResult{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(base + ".out"),
                   slurp(base + ".err")};
}

std::string busybox_copy(const std::string& name) {
  std::string d = new_layer(name);
  fs::copy(busybox_layer(), d, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  return d;
}

}  // namespace launch_test
