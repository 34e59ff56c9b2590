// Placeholder until the OCI runtime's tests land.
#include <gtest/gtest.h>

#include "runtime/oci/config.hpp"

TEST(OciPlaceholder, BundlesAreNotLoadedYet) {
  EXPECT_ANY_THROW(policy::oci::load_bundle("/nonexistent"));
}
