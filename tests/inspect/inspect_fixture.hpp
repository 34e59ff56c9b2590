// What every inspection test checks of its target afterwards: neither stopped nor traced.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <fstream>
#include <string>

namespace inspect_test {

// A "Key:\tvalue" line of /proc/PID/status ("" when missing).
inline std::string status_field(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0)
      return line.substr(line.find_first_not_of(" \t", key.size() + 1));
  return "";
}

// Neither stopped nor traced: the state a process must be left in after every inspection.
inline void expect_left_alone(pid_t pid) {
  EXPECT_EQ(status_field(pid, "TracerPid"), "0");
  const std::string state = status_field(pid, "State");
  ASSERT_FALSE(state.empty());
  EXPECT_NE(state[0], 't') << state;
  EXPECT_NE(state[0], 'T') << state;
}

}  // namespace inspect_test
