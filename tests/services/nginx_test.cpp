// Debian's nginx-light (tools/test-images: a docker-archive) serves under the shipped web.pol:
// pages over TCP from the container's loopback, reload on SIGHUP, workers as www-data.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "services/service_fixture.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Nginx : public services::ServiceTest {
 protected:
  Nginx() : ServiceTest("nginx", "web.pol", 80) {}

  // GET http://127.0.0.1/PATH from inside: the status code, then the body.
  services::Output get(const std::string& path) {
    return service().client({"curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}",
                             "http://127.0.0.1" + path});
  }

  // nginx's worker processes (children of the master, the container's first process).
  std::vector<pid_t> workers() {
    std::vector<pid_t> w;
    for (pid_t p : service().processes())
      if (p != service().first_process()) w.push_back(p);
    std::sort(w.begin(), w.end());
    return w;
  }

  // The workers once there are some and each has switched to its user (the port answers as soon
  // as the master listens, before it forks them; a new worker is root until its setuid), or what
  // there is after 10 s.
  std::vector<pid_t> started_workers() {
    std::vector<pid_t> w;
    for (int i = 0; i < 100; ++i) {
      w = workers();
      if (!w.empty() &&
          std::all_of(w.begin(), w.end(), [](pid_t p) { return services::uid_of(p) == "33"; }))
        break;
      std::this_thread::sleep_for(100ms);
    }
    return w;
  }
};

TEST_F(Nginx, ServesTheIndexPageAnd404ForAMissingOne) {
  const auto index = get("/");
  ASSERT_EQ(index.status, 0) << index.err << service().err();
  EXPECT_EQ(index.out, "<html><body>policyrun test page</body></html>\n\n200") << service().err();
  const auto missing = get("/missing");
  ASSERT_EQ(missing.status, 0) << missing.err;
  EXPECT_EQ(missing.out.substr(missing.out.size() - 3), "404") << missing.out;
}

// policyrun --name NAME names the run: its state directory and its cgroups (removed at the end,
// which TearDown checks).
TEST_F(Nginx, TheRunCarriesItsName) {
  // Its record in the container store and its run's lock (the writable layer is a tmpfs of the
  // run's own mount namespace: no run directory on the host).
  EXPECT_TRUE(fs::is_regular_file(services::state_root() + "/containers/" + service().name() +
                                  "/state.json"));
  EXPECT_TRUE(fs::is_regular_file(services::state_root() + "/run/" + service().name() + ".lock"));
  std::ifstream cgroup("/proc/" + std::to_string(service().first_process()) + "/cgroup");
  std::stringstream lines;
  lines << cgroup.rdbuf();
  EXPECT_NE(lines.str().find("/policyrun/" + service().name() + "\n"), std::string::npos)
      << lines.str();
}

TEST_F(Nginx, WorkersRunAsWwwData) {
  const auto w = started_workers();
  ASSERT_FALSE(w.empty()) << "no worker processes\n" << service().err();
  // www-data is uid 33 in Debian's base-passwd (the image's /etc/passwd).
  for (pid_t p : w) EXPECT_EQ(services::uid_of(p), "33") << services::comm_of(p);
  EXPECT_EQ(services::uid_of(service().first_process()), "0") << "the master binds port 80";
}

TEST_F(Nginx, SighupReloadsWithNewWorkersAndKeepsServing) {
  const auto before = started_workers();
  ASSERT_FALSE(before.empty()) << service().err();
  ASSERT_EQ(::kill(service().first_process(), SIGHUP), 0);
  // The master starts new workers and tells the old ones to finish: wait until none is left.
  std::vector<pid_t> after;
  for (int i = 0; i < 100; ++i) {
    after = workers();
    std::vector<pid_t> common;
    std::set_intersection(before.begin(), before.end(), after.begin(), after.end(),
                          std::back_inserter(common));
    if (!after.empty() && common.empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(after.empty()) << service().err();
  for (pid_t p : after)
    EXPECT_EQ(std::find(before.begin(), before.end(), p), before.end())
        << "worker " << p << " survived the reload\n"
        << service().err();
  const auto index = get("/");
  EXPECT_EQ(index.out.substr(index.out.size() - 3), "200") << index.err << service().err();
}

}  // namespace
