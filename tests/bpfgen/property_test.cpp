// Random policies (fixed seed): bpfgen decides every call as the libseccomp backend does.
// POLICY_PROPERTY_ITERATIONS=N runs N policies instead of the CI default; POLICY_PROPERTY_SEED
// picks another seed.
#include <gtest/gtest.h>

#include <cstdlib>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/error.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "support.hpp"

namespace policy::bpfgen {
namespace {

size_t env_number(const char* name, size_t fallback) {
  const char* s = std::getenv(name);
  return s && *s ? std::strtoull(s, nullptr, 0) : fallback;
}

TEST(BpfgenProperty, RandomPoliciesMatchLibseccomp) {
  const size_t iterations = env_number("POLICY_PROPERTY_ITERATIONS", 60);
  const uint64_t seed = env_number("POLICY_PROPERTY_SEED", 20261127);
  std::mt19937_64 rng(seed);
  size_t checked = 0, rejected = 0;
  while (checked < iterations) {
    const ir::SeccompPolicy p = testing::random_policy(rng);
    seccomp::Program oracle;
    seccomp::LibseccompOptions o;
    o.binary_tree = (checked % 2) == 0;
    o.allow_multiplexer_widening = true;
    try {
      oracle = seccomp::compile_with_libseccomp(p, o);
    } catch (const Error&) {
      ++rejected;  // a policy libseccomp cannot express exactly: no oracle, draw another
      ASSERT_LT(rejected, 50 * iterations + 100) << "the generator rarely makes usable policies";
      continue;
    }
    const seccomp::Program ours = generate(p);
    seccomp::validate_program(ours);
    auto diff = testing::compare_programs(ours, oracle, p);
    ASSERT_FALSE(diff) << "seed " << seed << ", policy " << checked << ": " << *diff;
    const Stats s = measure(ours, p);
    // Conditions that always or never hold on an arch make more calls argument-free than the
    // rules say; never fewer.
    EXPECT_GE(s.cache_eligible_allowed, s.argument_free_allowed) << "policy " << checked;
    ++checked;
  }
  std::printf("%zu random policies equivalent (%zu drawn that libseccomp cannot express)\n",
              checked, rejected);
}

}  // namespace
}  // namespace policy::bpfgen
