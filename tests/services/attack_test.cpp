// What a compromised service would try first is refused by the kernel, inside the real service
// process under its shipped policy: tests/support/attack_preload.c, preloaded into nginx, redis
// and postgres (their images with the library added as one more layer), tries a shell, writes
// outside the allowed paths, ptrace, a user namespace and raw socket families, and reports what
// the kernel answered. Each refusal that one layer alone decides is then shown to depend on that
// layer: with it switched off in policyrun (tests/support/layer_off_preload.c), the same try
// succeeds, so the refusal is the layer's and the test could fail.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <sstream>

#include "launch/launch_fixture.hpp"
#include "services/service_fixture.hpp"
#include "support/kernel_skip.hpp"
#include "support/layer_off.hpp"

namespace {

const char* const kAttackPath = "/usr/lib/policyrun-test/attack.so";

struct Case {
  const char* service;
  const char* policy;
  // A path on a writable mount of the container that the policy does not let the service write
  // (postgres's policy must grant /dev/shm: its dynamic shared memory lives there).
  const char* writable;
};

// gtest names a failing case by this, not by its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.service << " under " << c.policy;
}

// Every try the preload makes, and the layer that alone refuses it under a policy that does not
// grant it ("" where more than one would: a write to a read-only root fails with EROFS before
// Landlock is asked; AF_PACKET needs CAP_NET_RAW as well as seccomp's permission).
const std::map<std::string, std::string> kDecidingLayer = {
    {"exec", "landlock"},  {"write", ""},  {"write-mount", "landlock"}, {"ptrace", "seccomp"},
    {"userns", "seccomp"}, {"packet", ""}, {"netlink", "seccomp"}};

// The preload's `attack NAME=RESULT` lines.
std::map<std::string, std::string> attacks_in(const std::string& err) {
  std::map<std::string, std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("attack ", 0) != 0) continue;
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(7, eq - 7)] = line.substr(eq + 1);
  }
  return out;
}

class Attacks : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    SKIP_UNLESS(needs::root(), needs::program(launch_test::policyrun_binary()));
  }

  // Runs the service's image with the attacker preloaded, to its end (the preload exits).
  launch_test::CliResult attack() {
    const Case& c = GetParam();
    const std::string image =
        services::image_with_file(c.service, POLICY_TEST_ATTACK_PRELOAD, kAttackPath);
    std::vector<std::string> args = {"--policy", services::policy_for(c.policy), "--root",
                                     services::state_root()};
    const auto rest =
        services::run_args(c.service, image,
                           {"-e", std::string("LD_PRELOAD=") + kAttackPath, "-e", "POLICY_ATTACK=1",
                            "-e", std::string("POLICY_ATTACK_WRITABLE=") + c.writable});
    args.insert(args.end(), rest.begin(), rest.end());
    return launch_test::run_policyrun(args);
  }
};

TEST_P(Attacks, TheKernelRefusesEachTry) {
  const auto r = attack();
  EXPECT_EQ(r.status, 0) << r.err;
  const auto seen = attacks_in(r.err);
  for (const auto& [name, result] : seen) std::cout << "  " << name << "=" << result << "\n";
  for (const auto& [name, layer] : kDecidingLayer) {
    ASSERT_EQ(seen.count(name), 1u) << "no result for " << name << ":\n" << r.err;
    EXPECT_NE(seen.at(name), "OK") << name << " was allowed";
  }
}

TEST_P(Attacks, EachRefusalDependsOnItsLayer) {
  for (const char* off : {"landlock", "seccomp"}) {
    LayerOff layer_off(off);
    const auto r = attack();
    EXPECT_EQ(r.status, 0) << r.err;
    const auto seen = attacks_in(r.err);
    std::cout << "  with " << off << " off:";
    for (const auto& [name, result] : seen) std::cout << " " << name << "=" << result;
    std::cout << "\n";
    for (const auto& [name, layer] : kDecidingLayer)
      if (layer == off) {
        ASSERT_EQ(seen.count(name), 1u) << "no result for " << name << ":\n" << r.err;
        EXPECT_EQ(seen.at(name), "OK") << name << " is still refused with " << off << " off";
      }
  }
}

INSTANTIATE_TEST_SUITE_P(Services, Attacks,
                         ::testing::Values(Case{"nginx", "web.pol", "/dev/shm/attack"},
                                           Case{"redis", "redis.pol", "/dev/shm/attack"},
                                           Case{"postgres", "postgres.pol", "/dev/mqueue/attack"}),
                         [](const auto& info) { return std::string(info.param.service); });

}  // namespace
