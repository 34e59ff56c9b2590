#include "compiler/ir/describe.hpp"

#include <gtest/gtest.h>

#include <cerrno>

using namespace policy;

TEST(IrDescribe, Actions) {
  using K = ir::ActionKind;
  EXPECT_EQ(ir::describe(ir::Action{K::Allow, 0}), "allow");
  EXPECT_EQ(ir::describe(ir::Action{K::Errno, EPERM}), "errno(EPERM)");
  EXPECT_EQ(ir::describe(ir::Action{K::Errno, 4095}), "errno(4095)");
  EXPECT_EQ(ir::describe(ir::Action{K::KillProcess, 0}), "kill-process");
  EXPECT_EQ(ir::describe(ir::Action{K::KillThread, 0}), "kill-thread");
  EXPECT_EQ(ir::describe(ir::Action{K::Trap, 0}), "trap");
  EXPECT_EQ(ir::describe(ir::Action{K::Trap, 3}), "trap(3)");
  EXPECT_EQ(ir::describe(ir::Action{K::Log, 0}), "log");
  EXPECT_EQ(ir::describe(ir::Action{K::Trace, 7}), "trace(7)");
  EXPECT_EQ(ir::describe(ir::Action{K::UserNotify, 0}), "user-notify");
}

TEST(IrDescribe, PathRules) {
  EXPECT_EQ(ir::access_words(ir::kRead | ir::kExec | ir::kMap), "read+exec+map");
  ir::PathRule r{true, ir::kWrite, "/proc/sys/**", "", {}};
  EXPECT_EQ(ir::describe(r), "deny write /proc/sys/**");
  r = {false, ir::kRead | ir::kLock, "@{PROC}/*/status", "", {}};
  EXPECT_EQ(ir::describe(r), "read+lock @{PROC}/*/status");
}

TEST(IrDescribe, NetworkRules) {
  EXPECT_EQ(ir::describe(ir::SocketRule{false, "inet6", "stream", {}}), "inet6 stream");
  EXPECT_EQ(ir::describe(ir::SocketRule{true, "netlink", "", {}}), "deny netlink");
  EXPECT_EQ(ir::describe(ir::SocketRule{false, "", "", {}}), "all");
  EXPECT_EQ(ir::describe(ir::PortRule{false, ir::PortRule::Bind, "tcp", 443, 443, {}}),
            "bind tcp 443");
  EXPECT_EQ(ir::describe(ir::PortRule{true, ir::PortRule::Connect, "tcp", 8000, 8080, {}}),
            "deny connect tcp 8000-8080");
}

TEST(IrDescribe, MountSignalAndPtraceRules) {
  EXPECT_EQ(ir::describe(ir::MountRule{true, "mount", "fstype=proc", {}}),
            "deny mount fstype=proc");
  EXPECT_EQ(ir::describe(ir::MountRule{false, "pivot_root", "", {}}), "pivot_root");
  EXPECT_EQ(ir::describe(ir::SignalRule{false, {"send", "receive"}, "web", {}}),
            "signal (send, receive) peer=web");
  EXPECT_EQ(ir::describe(ir::PtraceRule{true, {"read"}, "", {}}), "deny ptrace (read)");
}
