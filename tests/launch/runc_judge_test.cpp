// "The same filter as runc", judged by runc itself (tests/caps/policies_test.cpp compares with the
// project's own re-implementation of runc's logic; this one asks the real runc): a container runs
// under runc with Docker's seccomp profile in its config.json (filtered for this host and Docker's
// capabilities as dockerd does before it hands the profile to runc), and under policyrun with
// policies/docker-default.pol and with `policyc import` of the same JSON; a static probe
// (tests/support/denial_probe.c `syscalls`) makes the same sample of system calls in each, and
// the kernel's answers must be the same, call by call. Skipped where runc is not installed.
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "launch/launch_fixture.hpp"
#include "support/kernel_skip.hpp"
#include "runtime/common/host.hpp"
#include "runtime/launch/files.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* const kDockerCaps[] = {
    "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
    "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
    "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
    "CAP_KILL",    "CAP_AUDIT_WRITE"};

std::string runc_binary() {
  for (const char* p :
       {"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

// The test binary sets POLICY_SOURCE_DIR and POLICY_SHARED_DIR (tests/test_environment.cpp).
std::string source_dir() {
  return std::getenv("POLICY_SOURCE_DIR");
}

std::string docker_profile_path() {
  return std::string(std::getenv("POLICY_SHARED_DIR")) + "/data/profiles/moby-default.seccomp.json";
}

// "6.1.0-13-amd64" -> {6, 1}
std::pair<int, int> host_kernel() {
  struct utsname u {};
  ::uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  return {major, minor};
}

bool kernel_at_least(const std::string& version) {
  int major = 0, minor = 0;
  std::sscanf(version.c_str(), "%d.%d", &major, &minor);
  return host_kernel() >= std::make_pair(major, minor);
}

bool contains(const json& list, const std::string& s) {
  for (const auto& e : list)
    if (e.get<std::string>() == s) return true;
  return false;
}

// Docker's profile as dockerd gives it to runc for an amd64 container with Docker's default
// capabilities on this kernel: the x86_64 arch and its sub-arches, and only the entries whose
// `includes` hold (every cap kept, the arch listed, the kernel new enough) and whose `excludes`
// do not (no cap kept, the arch not listed).
json oci_seccomp(const json& docker) {
  const std::set<std::string> caps(std::begin(kDockerCaps), std::end(kDockerCaps));
  json out;
  out["defaultAction"] = docker["defaultAction"];
  if (docker.contains("defaultErrnoRet")) out["defaultErrnoRet"] = docker["defaultErrnoRet"];
  out["architectures"] = json::array();
  for (const auto& m : docker["archMap"])
    if (m["architecture"] == "SCMP_ARCH_X86_64") {
      out["architectures"].push_back(m["architecture"]);
      for (const auto& sub : m["subArchitectures"]) out["architectures"].push_back(sub);
    }
  out["syscalls"] = json::array();
  for (const auto& s : docker["syscalls"]) {
    const json inc = s.value("includes", json::object()), exc = s.value("excludes", json::object());
    bool keep = true;
    if (inc.contains("arches") && !contains(inc["arches"], "amd64")) keep = false;
    if (inc.contains("caps"))
      for (const auto& c : inc["caps"]) keep = keep && caps.count(c.get<std::string>()) > 0;
    if (inc.contains("minKernel") && !kernel_at_least(inc["minKernel"].get<std::string>()))
      keep = false;
    if (exc.contains("arches") && contains(exc["arches"], "amd64")) keep = false;
    if (exc.contains("caps"))
      for (const auto& c : exc["caps"]) keep = keep && caps.count(c.get<std::string>()) == 0;
    if (!keep) continue;
    json e;
    for (const char* k : {"names", "action", "args", "errnoRet"})
      if (s.contains(k) && !s[k].is_null()) e[k] = s[k];
    out["syscalls"].push_back(e);
  }
  return out;
}

std::string sh_output(const std::string& cmd, int* status) {
  const std::string out = launch_test::scratch() + "/runc-judge.sh.out";
  const int rc = std::system((cmd + " >" + out + " 2>&1").c_str());
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return launch_test::slurp(out);
}

// The probe's rootfs: the busybox layer with the probe at /probe.
const std::string& probe_rootfs() {
  static const std::string dir = [] {
    std::string d = launch_test::busybox_copy("runc-judge");
    fs::copy_file(POLICY_TEST_DENIAL_PROBE, d + "/probe");
    return d;
  }();
  return dir;
}

// `<hierarchy>/<this process's cgroup>/policyrun` in every cgroup hierarchy mounted here (v1, named
// and v2): runc joins every hierarchy, not only those policyrun uses.
std::vector<std::string> policyrun_parent_dirs() {
  std::vector<std::string> out;
  const std::string self = launch_test::slurp("/proc/self/cgroup");
  std::istringstream mounts(launch_test::slurp("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS"
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string type, source, super;
    tail >> type >> source >> super;
    std::string key;  // the /proc/self/cgroup controller field of this hierarchy
    if (type == "cgroup2") {
      key = "";
    } else if (type == "cgroup") {
      std::istringstream opts(super);
      for (std::string o; std::getline(opts, o, ',');)
        if (o != "rw" && o != "ro" && o != "xattr" && o.rfind("release_agent", 0) != 0 &&
            o != "noprefix" && o != "clone_children" && o != "cpuset_v2_mode")
          key += (key.empty() ? "" : ",") + o;
    } else {
      continue;
    }
    std::istringstream lines(self);
    for (std::string l; std::getline(lines, l);) {
      const auto a = l.find(':'), b = l.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos || l.substr(a + 1, b - a - 1) != key)
        continue;
      std::string own = l.substr(b + 1);
      if (root != "/" && own.rfind(root, 0) == 0) own = own.substr(root.size());
      out.push_back(point + (own == "/" ? "" : own) + "/policyrun");
    }
  }
  return out;
}

// The probe under real runc, Docker's profile in its config.json; its own --root, bundle and
// cgroup (relative: under this process's cgroup, in the policyrun/ subtree), all removed after.
launch_test::CliResult run_under_runc(const std::string& runc) {
  const std::string id = "runc-judge-" + policy::runtime::random_hex(6);
  const std::string bundle = launch_test::scratch() + "/" + id, root = bundle + "-state";
  fs::create_directories(bundle);
  int status = 0;
  std::string out = sh_output(runc + " spec --bundle " + bundle, &status);
  if (status != 0) return {-1, "", "runc spec failed: " + out};
  json config = json::parse(launch_test::slurp(bundle + "/config.json"));
  config["root"] = {{"path", probe_rootfs()}, {"readonly", false}};
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"/probe", "syscalls"};
  config["process"]["noNewPrivileges"] = false;  // as Docker (docker-default.pol says so too)
  json caps = json::array();
  for (const char* c : kDockerCaps) caps.push_back(c);
  config["process"]["capabilities"] = {
      {"bounding", caps}, {"effective", caps}, {"permitted", caps}};
  config["linux"]["seccomp"] = oci_seccomp(json::parse(launch_test::slurp(docker_profile_path())));
  config["linux"]["cgroupsPath"] = "policyrun/" + id;
  std::ofstream(bundle + "/config.json") << config.dump(2);
  std::vector<std::string> created;  // policyrun/ directories runc will make
  for (const auto& d : policyrun_parent_dirs())
    if (!fs::exists(d)) created.push_back(d);
  const std::string base = launch_test::scratch() + "/" + id;
  const int rc = std::system((runc + " --root " + root + " run --bundle " + bundle + " " + id +
                              " </dev/null >" + base + ".out 2>" + base + ".err")
                                 .c_str());
  launch_test::CliResult r{WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, launch_test::slurp(base + ".out"),
                           launch_test::slurp(base + ".err")};
  sh_output(runc + " --root " + root + " delete --force " + id, &status);  // if anything is left
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::remove_all(bundle, ec);
  for (const auto& d : launch_test::policyrun_cgroup_dirs())
    EXPECT_EQ(d.find(id), std::string::npos) << "runc left its cgroup " << d;
  for (const auto& d : created) ::rmdir(d.c_str());  // when empty (no run of anyone else in it)
  return r;
}

launch_test::CliResult run_under_policyrun(const std::string& policy) {
  return launch_test::run_policyrun({"--policy", policy, "--root",
                                     launch_test::scratch() + "/runc-judge-state", "--apparmor=off",
                                     probe_rootfs(), "/probe", "syscalls"});
}

// The lines of `a` and `b` that differ, "name: runc says X, policyrun Y".
std::string differences(const std::string& runc, const std::string& ours) {
  std::istringstream a(runc), b(ours);
  std::string la, lb, out;
  for (;;) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) break;
    if (la != lb) out += "  runc: " + la + "   policyrun: " + lb + "\n";
    la.clear();
    lb.clear();
  }
  return out;
}

class RuncJudges : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS(needs::root());
    runc_ = runc_binary();
    if (runc_.empty()) GTEST_SKIP() << "runc is not installed: nothing to judge against";
#if !defined(__x86_64__)
    GTEST_SKIP() << "the probe's syscall sample is x86_64's";
#endif
    runc_result_ = run_under_runc(runc_);
    ASSERT_EQ(runc_result_.status, 0) << runc_result_.err;
    // runc really enforced the profile (else agreeing with it would prove nothing): Docker refuses
    // AF_VSOCK sockets and keyctl with EPERM and answers clone3 with ENOSYS.
    for (const char* line : {"getpid=OK\n", "socket-vsock=EPERM\n", "keyctl=EPERM\n",
                             "clone3=ENOSYS\n", "personality-4=EPERM\n"})
      ASSERT_NE(runc_result_.out.find(line), std::string::npos)
          << "runc's container did not answer " << line << runc_result_.out << runc_result_.err;
  }

  std::string runc_;
  launch_test::CliResult runc_result_;
};

TEST_F(RuncJudges, DockerDefaultPolDecidesEverySampledCallAsRuncWithDockersJson) {
  const auto ours = run_under_policyrun(source_dir() + "/policies/docker-default.pol");
  ASSERT_EQ(ours.status, 0) << ours.err;
  EXPECT_EQ(ours.out, runc_result_.out) << differences(runc_result_.out, ours.out) << ours.err;
}

TEST_F(RuncJudges, ImportedDockerJsonDecidesEverySampledCallAsRunc) {
  const std::string pol = launch_test::scratch() + "/runc-judge-imported.pol";
  int status = 0;
  const char* policyc = std::getenv("POLICYC");
  ASSERT_NE(policyc, nullptr);
  const std::string out =
      sh_output(std::string(policyc) + " import " + docker_profile_path() +
                    " --base docker-default -I " + source_dir() + "/policies -o " + pol,
                &status);
  ASSERT_EQ(status, 0) << out;
  const auto ours =
      launch_test::run_policyrun({"--policy", pol, "-I", source_dir() + "/policies", "--root",
                                  launch_test::scratch() + "/runc-judge-state", "--apparmor=off",
                                  probe_rootfs(), "/probe", "syscalls"});
  ASSERT_EQ(ours.status, 0) << ours.err;
  EXPECT_EQ(ours.out, runc_result_.out) << differences(runc_result_.out, ours.out) << ours.err;
}

}  // namespace
