#include "compiler/common/names.hpp"

#include <gtest/gtest.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "compiler/common/diagnostics.hpp"

using namespace policy;

TEST(Names, SyscallsResolveThroughLibseccompPerArch) {
  auto x86_64 = *names::arch_token("x86_64");
  auto x86 = *names::arch_token("x86");
  auto x32 = *names::arch_token("x32");
  EXPECT_EQ(names::syscall_number("read", x86_64), 0);
  EXPECT_EQ(names::syscall_number("read", x86), 3);
  EXPECT_EQ(names::syscall_number("read", x32), 0x40000000);
  EXPECT_FALSE(names::syscall_number("socketcall", x86_64));
  EXPECT_TRUE(names::syscall_number("socketcall", x86));
  EXPECT_TRUE(names::syscall_known("socketcall"));
  EXPECT_FALSE(names::syscall_known("opn"));
  EXPECT_EQ(names::syscall_name(SYS_openat, names::native_arch()), "openat");
}

TEST(Names, ArchSpellingsOfDockerAndGo) {
  EXPECT_EQ(names::arch_token("amd64"), names::arch_token("x86_64"));
  EXPECT_EQ(names::arch_token("SCMP_ARCH_X86_64"), names::arch_token("x86_64"));
  EXPECT_EQ(names::arch_token("arm64"), names::arch_token("aarch64"));
  EXPECT_FALSE(names::arch_token("vax"));
  EXPECT_EQ(names::arch_name(*names::arch_token("amd64")), "x86_64");
  auto compat = names::compat_arches(*names::arch_token("x86_64"));
  ASSERT_EQ(compat.size(), 3u);
  EXPECT_EQ(names::arch_name(compat[2]), "x32");
}

TEST(Names, CapabilitiesThroughLibcap) {
  EXPECT_EQ(names::capability_number("CHOWN"), 0);
  EXPECT_EQ(names::capability_number("cap_sys_admin"), 21);
  EXPECT_EQ(names::capability_name(21), "CAP_SYS_ADMIN");
  EXPECT_FALSE(names::capability_number("SYS_ADMN"));
  EXPECT_GE(names::last_capability(), 40);
}

TEST(Names, ConstantsFromHeaders) {
  EXPECT_EQ(names::constant_value("AF_INET"), static_cast<uint64_t>(AF_INET));
  EXPECT_EQ(names::errno_value("EPERM"), EPERM);
  EXPECT_EQ(names::errno_value("ENOSYS"), ENOSYS);
  EXPECT_FALSE(names::errno_value("EPOLLIN"));
  EXPECT_EQ(names::errno_name(EAGAIN), "EAGAIN");
  EXPECT_TRUE(names::constant_value("CLONE_NEWUSER"));
  EXPECT_TRUE(names::constant_value("TIOCSTI"));
  EXPECT_TRUE(names::constant_value("SIGKILL"));
}

TEST(Diagnostics, SuggestClosestName) {
  auto s = suggest("opn", names::all_syscall_names());
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0], "open");
}
