// Learn, then enforce, on the real services (docs/learn.md): each one runs under
// docker-default.pol with --learn while a client does its job over TCP; the learned policy then
// compiles without a warning, and the same service under it does the same job.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "launch/launch_fixture.hpp"
#include "services/service_fixture.hpp"
#include "support/kernel_skip.hpp"

namespace {

namespace fs = std::filesystem;

struct LearnCase {
  const char* service;
  int port;
  std::vector<std::string> client;  // run in the container's network namespace
  const char* expect;               // in the client's output
};

std::ostream& operator<<(std::ostream& os, const LearnCase& c) {
  return os << c.service;
}

const LearnCase kCases[] = {
    {"nginx",
     80,
     {"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1/"},
     "200"},
    {"redis", 6379, {"redis-cli", "-h", "127.0.0.1", "SET", "learned", "yes"}, "OK"},
    {"postgres",
     5432,
     {"psql", "-h", "127.0.0.1", "-U", "postgres", "-tA", "-c",
      "create table if not exists t(a int); insert into t values (42); select max(a) from t;"},
     "42"},
};

std::string include_dir() {
  const char* src = std::getenv("POLICY_SOURCE_DIR");
  return std::string(src ? src : ".") + "/policies";
}

// The service's arguments; docker-default has no tmpfs on /run/postgresql, which Debian's
// cluster puts its socket in, so postgres is told to use /tmp (the shipped postgres.pol has it).
std::vector<std::string> args(const LearnCase& c, std::vector<std::string> options) {
  options.insert(options.begin(), {"-I", include_dir()});
  std::vector<std::string> a = services::run_args(c.service, options);
  if (std::string(c.service) == "postgres")
    a.insert(a.end(), {"-c", "unix_socket_directories=/tmp"});
  return a;
}

class LearnThenEnforce : public ::testing::TestWithParam<LearnCase> {};

}  // namespace

TEST_P(LearnThenEnforce, TheLearnedPolicyRunsTheSameJob) {
  SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()),
              needs::program("/usr/bin/nsenter"));
  const LearnCase& c = GetParam();
  const std::string out = services::state_root() + "/learned-" + c.service + ".pol";
  fs::remove(out);
  {
    services::Service learning(services::policy_for("docker-default.pol"),
                               args(c, {"--learn", out}));
    ASSERT_EQ(learning.wait_for_port(c.port), "");
    auto r = learning.client(c.client);
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out << r.err << learning.err();
    EXPECT_EQ(learning.stop(), 0) << learning.err();
    ASSERT_TRUE(fs::exists(out)) << learning.err();
  }
  // The learned policy compiles without a warning.
  const std::string compiled = services::state_root() + "/learned-" + c.service;
  using launch_test::shell_quote;
  const std::string cmd = shell_quote(std::getenv("POLICYC")) + " compile -I " +
                          shell_quote(include_dir()) + " " + shell_quote(out) + " -o " +
                          shell_quote(compiled) + " >/dev/null 2>" + shell_quote(compiled + ".err");
  EXPECT_EQ(std::system(cmd.c_str()), 0) << launch_test::slurp(compiled + ".err");
  EXPECT_EQ(launch_test::slurp(compiled + ".err"), "");

  services::Service enforced(out, args(c, {}));
  ASSERT_EQ(enforced.wait_for_port(c.port), "") << launch_test::slurp(out);
  auto r = enforced.client(c.client);
  EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out << r.err << enforced.err();
  EXPECT_EQ(enforced.stop(), 0) << enforced.err();
}

INSTANTIATE_TEST_SUITE_P(Services, LearnThenEnforce, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.service); });
