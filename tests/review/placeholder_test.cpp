// PLACEHOLDER (issue 14): the helper that owns tests/review replaces this file with real tests.
#include <gtest/gtest.h>

TEST(PlaceholderReview, Builds) { SUCCEED(); }
