#include "oci/bundle_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "launch/launch_fixture.hpp"
#include "support/docker_oracle.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace oci_test {

std::string new_bundle(const std::string& name) {
  std::string dir = launch_test::scratch() + "/bundles/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir + "/rootfs");
  return dir;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_config(const std::string& bundle, const json& config) {
  write_file(bundle + "/config.json", config.dump(2));
}

json containerd_default_config(const std::vector<std::string>& args) {
  const json caps = {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
                     "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
                     "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
                     "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return {
      {"ociVersion", "1.1.0"},
      {"process",
       {{"user", {{"uid", 0}, {"gid", 0}}},
        {"args", args},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}}},
      {"mounts",
       {{{"destination", "/proc"},
         {"type", "proc"},
         {"source", "proc"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"},
         {"type", "devpts"},
         {"source", "devpts"},
         {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        {{"destination", "/sys"},
         {"type", "sysfs"},
         {"source", "sysfs"},
         {"options", {"nosuid", "noexec", "nodev", "ro"}}},
        {{"destination", "/run"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}}}},
      {"linux",
       {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
        {"cgroupsPath", "/default/test"},
        {"namespaces",
         {{{"type", "pid"}},
          {{"type", "ipc"}},
          {{"type", "uts"}},
          {{"type", "mount"}},
          {{"type", "network"}}}},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
          "/sys/devices/virtual/powercap", "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
}

json docker_oci_seccomp(uint64_t capabilities) {
  std::ifstream in(std::string(std::getenv("POLICY_SHARED_DIR")) +
                   "/data/profiles/moby-default.seccomp.json");
  const json moby = json::parse(in);
  const auto kernel = policy::frontend::host_kernel_version();
  return policy::seccomp::docker_to_oci(moby, {policy::names::native_arch(), capabilities, kernel});
}

uint64_t mask(std::initializer_list<const char*> names) {
  uint64_t m = 0;
  for (const char* n : names) m |= uint64_t{1} << *policy::names::capability_number(n);
  return m;
}

bool has_line(const policy::oci::ContainerConfig& c, const std::string& needle) {
  return std::any_of(c.report.begin(), c.report.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

std::string report_text(const policy::oci::ContainerConfig& c) {
  std::string out;
  for (const auto& l : c.report) out += l + "\n";
  return out;
}

std::string runc_binary() {
  for (const char* p :
       {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

}  // namespace oci_test
