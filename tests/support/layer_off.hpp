// Runs the policyrun programs started in its scope under tests/support/layer_off_preload.c with
// one enforcement step switched off (POLICY_TEST_LAYER_OFF: seccomp, landlock, caps, nnp,
// cgroup...), so that a test can show that a refusal it checks depends on that step. The test
// binary defines POLICY_TEST_LAYER_OFF_PRELOAD (CMakeLists.txt) as the library's path.
#pragma once

#include <cstdlib>
#include <string>

class LayerOff {
 public:
  explicit LayerOff(const std::string& layer) {
    ::setenv("POLICY_TEST_LAYER_OFF", layer.c_str(), 1);
    ::setenv("LD_PRELOAD", POLICY_TEST_LAYER_OFF_PRELOAD, 1);
  }
  ~LayerOff() {
    ::unsetenv("LD_PRELOAD");
    ::unsetenv("POLICY_TEST_LAYER_OFF");
  }
  LayerOff(const LayerOff&) = delete;
  LayerOff& operator=(const LayerOff&) = delete;
};
