// Every test binary knows where the source tree, shared/ and the built tools are: the build
// compiles the paths in, and the environment may override them (POLICY_SOURCE_DIR,
// POLICY_SHARED_DIR, POLICYC, POLICYRUN).
#include <cstdlib>

namespace {

struct TestEnvironment {
  TestEnvironment() {
    setenv("POLICY_SOURCE_DIR", POLICY_TEST_SOURCE_DIR, 0);
    setenv("POLICY_SHARED_DIR", POLICY_TEST_SHARED_DIR, 0);
    setenv("POLICYC", POLICY_TEST_POLICYC, 0);
    setenv("POLICYRUN", POLICY_TEST_POLICYRUN, 0);
  }
} const kTestEnvironment;

}  // namespace
