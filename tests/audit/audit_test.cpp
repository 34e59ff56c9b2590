#include <gtest/gtest.h>
TEST(Audit, Placeholder) {}
