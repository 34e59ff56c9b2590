// The decompiler (compiler/seccomp/decompile.hpp): the text it writes for a filter compiles, and
// the program compiled from that text decides every call as the original filter does, for filters
// built by the optimising backend and by libseccomp.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <filesystem>
#include <sstream>

#include "compiler/common/names.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/inspect/filter_text.hpp"
#include "compiler/seccomp/decompile.hpp"
#include "compiler/seccomp/equivalence.hpp"

using namespace policy;
namespace fs = std::filesystem;

namespace {

std::string policies_dir() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path().string() + "/policies";
}

frontend::LoadOptions load_options() {
  frontend::LoadOptions o;
  o.include_dirs = {policies_dir()};
  o.kernel = ir::KernelVersion{6, 1};
  return o;
}

ir::Policy load_text(const std::string& name, const std::string& text) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_text(name, text, load_options(), diags);
  std::ostringstream os;
  diags.print_all(os);
  if (!p) ADD_FAILURE() << "does not compile:\n" << os.str() << "\n" << text;
  return p ? *p : ir::Policy{};
}

ir::Policy load_file(const std::string& path) {
  DiagnosticEngine diags;
  auto p = frontend::load_policy_file(path, load_options(), diags);
  std::ostringstream os;
  diags.print_all(os);
  EXPECT_TRUE(p) << os.str();
  return p ? *p : ir::Policy{};
}

seccomp::Program compile(const ir::Policy& p, driver::Backend backend) {
  driver::SeccompOptions o;
  o.backend = backend;
  o.kernel = ir::KernelVersion{6, 1};
  return driver::compile_seccomp(p.seccomp, o);
}

// Decompiles the filter `backend` builds for `original`, compiles the text again with policyc's
// own backend and compares the two programs.
std::string round_trip(const ir::Policy& original, driver::Backend backend) {
  const seccomp::Program prog = compile(original, backend);
  const seccomp::Decompiled d = seccomp::decompile(prog, original.seccomp.arches);
  EXPECT_TRUE(d.notes.empty()) << d.notes.front();
  std::string text = inspect::filter_policy_text(d, "decompiled");
  const ir::Policy back = load_text("decompiled.pol", text);
  const seccomp::Program again = compile(back, driver::Backend::Optimizing);
  auto constants = seccomp::policy_constants(original.seccomp);
  auto more = seccomp::policy_constants(back.seccomp);
  constants.insert(constants.end(), more.begin(), more.end());
  auto diff = seccomp::first_difference(prog, again, original.seccomp.arches, constants);
  EXPECT_FALSE(diff) << driver::backend_name(backend) << ": " << *diff << "\n" << text;
  return text;
}

class DecompileRoundTrip : public testing::TestWithParam<driver::Backend> {};

TEST_P(DecompileRoundTrip, WebPolicy) {
  const std::string text = round_trip(load_file(policies_dir() + "/web.pol"), GetParam());
  EXPECT_NE(text.find("kill-process process_vm_readv, process_vm_writev, ptrace"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("socket("), std::string::npos) << text;
}

TEST_P(DecompileRoundTrip, DockerDefault) {
  round_trip(load_file(policies_dir() + "/docker-default.pol"), GetParam());
}

TEST_P(DecompileRoundTrip, RedisAndPostgres) {
  round_trip(load_file(policies_dir() + "/redis.pol"), GetParam());
  round_trip(load_file(policies_dir() + "/postgres.pol"), GetParam());
}

TEST_P(DecompileRoundTrip, WideNarrowMaskedAndRanges) {
  const std::string text = R"(
policy conditions {
  syscalls default errno(EPERM) {
    allow read, write, exit_group
    allow ioctl(u32(request) == 0x5412)
    allow ioctl(fd == 0x100000003)
    errno(EACCES) mprotect(prot & 0x4 == 0x4)
    allow mmap(flags & 0x7e020000 == 0)
    allow dup3(arg2 > 0x80000000)
    allow dup2(newfd < 0x100000010)
    RANGES
    kill clone(flags & 0x10000000 == 0x10000000)
    allow clone
    errno(ENOSYS) clone3
  }
}
)";
  // libseccomp takes one comparison per argument and no u32() inequality.
  const bool ours = GetParam() == driver::Backend::Optimizing;
  std::string t = text;
  t.replace(t.find("RANGES"), 6,
            ours ? "allow lseek(whence >= 2 and whence <= 4)\n"
                   "    allow fcntl(u32(cmd) != 3 and u32(cmd) <= 1030)"
                 : "allow lseek(whence >= 2)\n    allow fcntl(cmd != 3)\n"
                   "    allow fcntl(cmd <= 1030)");
  round_trip(load_text("conditions.pol", t), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Backends, DecompileRoundTrip,
                         testing::Values(driver::Backend::Optimizing,
                                         driver::Backend::LibseccompTree,
                                         driver::Backend::LibseccompLinear),
                         [](const auto& info) {
                           switch (info.param) {
                             case driver::Backend::Optimizing:
                               return std::string("optimizing");
                             case driver::Backend::LibseccompTree:
                               return std::string("libseccomp");
                             default:
                               return std::string("libseccomp_linear");
                           }
                         });

TEST(Decompile, ExactTextOfASmallFilter) {
  const ir::Policy p = load_text("small.pol", R"(
policy small {
  syscalls default errno(EPERM) arch x86_64 {
    allow read, write
    allow socket(domain in {1, 2})
    kill ptrace
  }
}
)");
  const seccomp::Program prog = compile(p, driver::Backend::Optimizing);
  const seccomp::Decompiled d = seccomp::decompile(prog, names::default_target_arches());
  EXPECT_EQ(inspect::filter_policy_text(d, "small"),
            "policy small {\n"
            "  syscalls default errno(EPERM) arch x86_64 {\n"
            "    kill-process ptrace\n"
            "    allow read, write\n"
            "    allow socket(domain in {1, 2})\n"
            "  }\n"
            "}\n");
}

TEST(Decompile, CombinedFiltersTakeTheStrongerVerdict) {
  const ir::Policy a =
      load_text("a.pol", "policy a { syscalls default allow { errno(EPERM) mkdir } }");
  const ir::Policy b =
      load_text("b.pol", "policy b { syscalls default allow { kill mkdir, rmdir } }");
  const seccomp::Program both = seccomp::combined(
      {compile(a, driver::Backend::Optimizing), compile(b, driver::Backend::Optimizing)});
  const seccomp::Decompiled d = seccomp::decompile(both, names::default_target_arches());
  const std::string text = inspect::filter_policy_text(d, "both");
  EXPECT_NE(text.find("kill-process mkdir, rmdir"), std::string::npos) << text;
}

}  // namespace

namespace {

// A hand-written filter without an architecture check: number 83 is mkdir on x86_64 and
// symlink on x86, and calls of every other architecture are allowed.
TEST(Decompile, AFilterWithoutAnArchCheckIsShownPerArchWithANote) {
  const seccomp::Program prog = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 83, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 13),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  const seccomp::Decompiled d = seccomp::decompile(prog, names::default_target_arches());
  const std::string text = inspect::filter_policy_text(d, "hand");
  EXPECT_NE(text.find("errno(EACCES) mkdir when arch x86_64\n"), std::string::npos) << text;
  EXPECT_NE(text.find("errno(EACCES) symlink when arch x86\n"), std::string::npos) << text;
  ASSERT_EQ(d.notes.size(), 1u) << text;
  EXPECT_NE(d.notes[0].find("architectures the filter does not name get allow"), std::string::npos);
}

}  // namespace
