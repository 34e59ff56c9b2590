#include "compiler/ir/runtime_plan.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

using namespace policy;

namespace {

constexpr ir::NamespaceKind kAll[] = {ir::NamespaceKind::Mount, ir::NamespaceKind::Pid,
                                      ir::NamespaceKind::Uts,   ir::NamespaceKind::Ipc,
                                      ir::NamespaceKind::Net,   ir::NamespaceKind::Cgroup,
                                      ir::NamespaceKind::User,  ir::NamespaceKind::Time};

}  // namespace

TEST(IrNamespaces, NamesRoundTrip) {
  for (ir::NamespaceKind k : kAll) {
    EXPECT_EQ(ir::namespace_kind(ir::namespace_name(k)), k) << ir::namespace_name(k);
    EXPECT_EQ(ir::namespace_kind(ir::namespace_proc_name(k)), k) << ir::namespace_proc_name(k);
  }
  EXPECT_STREQ(ir::namespace_name(ir::NamespaceKind::Mount), "mount");
  EXPECT_STREQ(ir::namespace_proc_name(ir::NamespaceKind::Mount), "mnt");
  EXPECT_EQ(ir::namespace_kind("network"), std::nullopt);
  EXPECT_EQ(ir::namespace_kind(""), std::nullopt);
}

TEST(IrNamespaces, SpellingsAreTheLanguageNamesThenTheProcAliases) {
  EXPECT_EQ(ir::namespace_spellings(),
            (std::vector<std::string>{"mount", "pid", "uts", "ipc", "net", "cgroup", "user", "time",
                                      "mnt"}));
}

// The kernel judges: NS_GET_NSTYPE on /proc/self/ns/<proc name> answers the CLONE_NEW* flag of
// that namespace, so both the /proc name and the flag of every kind are checked at once.
TEST(IrNamespaces, ProcNameAndCloneFlagAreTheKernels) {
  for (ir::NamespaceKind k : kAll) {
    std::string path = std::string("/proc/self/ns/") + ir::namespace_proc_name(k);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && k == ir::NamespaceKind::Time) continue;  // kernel < 5.6
    ASSERT_GE(fd, 0) << path << ": " << std::strerror(errno);
    int type = ::ioctl(fd, NS_GET_NSTYPE);
    int err = errno;
    ::close(fd);
    if (type < 0 && err == ENOTTY) GTEST_SKIP() << "NS_GET_NSTYPE needs Linux 4.11";
    ASSERT_GE(type, 0) << path << ": " << std::strerror(err);
    EXPECT_EQ(type, ir::clone_flag(k)) << path;
  }
}
