#include "compiler/ir/path_variables.hpp"

#include <gtest/gtest.h>

using namespace policy;

TEST(IrPathVariables, KnownOnesAreAppArmorsTunables) {
  EXPECT_EQ(ir::variable_value("PROC"), "/proc/");
  EXPECT_EQ(ir::variable_value("sys"), "/sys/");
  EXPECT_EQ(ir::variable_value("HOME"), std::nullopt);
}

TEST(IrPathVariables, FoundInOrder) {
  EXPECT_EQ(ir::variables_in("@{PROC}/@{pid}/fd/**"), (std::vector<std::string>{"PROC", "pid"}));
  EXPECT_EQ(ir::variables_in("/etc/**"), std::vector<std::string>{});
  EXPECT_EQ(ir::variables_in("/x/@{open"), std::vector<std::string>{});
}

TEST(IrPathVariables, ExpandedWithoutDoubleSlashes) {
  EXPECT_EQ(ir::expand_variables("@{PROC}/sys/**"), "/proc/sys/**");
  EXPECT_EQ(ir::expand_variables("@{sys}/fs/cgroup"), "/sys/fs/cgroup");
  EXPECT_EQ(ir::expand_variables("@{HOME}/x"), "@{HOME}/x");  // unknown: left as written
}
