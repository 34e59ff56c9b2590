// Inspecting plain processes the test starts: the filters a child installed with seccomp(2) are
// fetched with PTRACE_SECCOMP_GET_FILTER byte for byte and decompiled exactly; the errors (no such
// pid, a zombie, our own pid) are clear and never leave the target stopped or traced.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/driver/driver.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/inspect/filter_text.hpp"
#include "compiler/inspect/filters.hpp"
#include "compiler/inspect/process.hpp"
#include "compiler/inspect/report.hpp"
#include "compiler/seccomp/decompile.hpp"
#include "inspect/inspect_fixture.hpp"
#include "support/kernel_skip.hpp"

using namespace policy;

namespace {

seccomp::Program compile_text(const std::string& text) {
  DiagnosticEngine diags;
  frontend::LoadOptions o;
  o.kernel = ir::KernelVersion{6, 1};
  auto p = frontend::load_policy_text("t.pol", text, o, diags);
  if (!p) throw std::runtime_error("test policy does not compile");
  driver::SeccompOptions so;
  so.kernel = o.kernel;
  return driver::compile_seccomp(p->seccomp, so);
}

// A child that installs `filters` in order, then sleeps; killed and reaped on destruction.
class FilteredChild {
 public:
  explicit FilteredChild(const std::vector<seccomp::Program>& filters) {
    int ready[2];
    if (::pipe(ready) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(10);
      for (const auto& f : filters) {
        sock_fprog prog{static_cast<unsigned short>(f.size()), const_cast<sock_filter*>(f.data())};
        if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) ::_exit(11);
      }
      char c = 'r';
      if (::write(ready[1], &c, 1) != 1) ::_exit(12);
      while (true) ::pause();
    }
    ::close(ready[1]);
    char c = 0;
    const bool ok = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    if (!ok) throw std::runtime_error("the child could not install its filters");
  }
  ~FilteredChild() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

using inspect_test::expect_left_alone;
using inspect_test::status_field;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

const char* kSmall = R"(
policy small {
  syscalls default allow arch x86_64 {
    errno(EACCES) mkdir
    kill ptrace
    errno(EPERM) socket(domain in {16, 17})
  }
}
)";

}  // namespace

TEST(InspectProcess, FiltersAreFetchedByteForByteAndDecompiledExactly) {
  SKIP_UNLESS(needs::root());
  const seccomp::Program prog = compile_text(kSmall);
  FilteredChild child({prog});
  const std::vector<seccomp::Program> got = inspect::fetch_seccomp_filters(child.pid());
  expect_left_alone(child.pid());
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].size(), prog.size());
  EXPECT_EQ(std::memcmp(got[0].data(), prog.data(), prog.size() * sizeof(sock_filter)), 0);
  const inspect::ProcessFacts facts = inspect::read_process(child.pid());
  ASSERT_TRUE(facts.filters_read) << facts.filters_error;
  const std::vector<std::string> texts = inspect::decompiled_filters(facts);
  ASSERT_EQ(texts.size(), 1u);
  const std::string body = texts[0].substr(texts[0].find("policy filter0"));
  EXPECT_EQ(body,
            "policy filter0 {\n"
            "  syscalls default allow arch x86_64 {\n"
            "    errno(EACCES) mkdir\n"
            "    kill-process ptrace\n"
            "    errno(EPERM) socket(domain in {16, 17})\n"
            "  }\n"
            "}\n")
      << texts[0];
  EXPECT_EQ(facts.status.no_new_privs, std::optional<bool>(true));
  EXPECT_EQ(facts.status.seccomp_mode, 2);
  expect_left_alone(child.pid());
}

TEST(InspectProcess, SeveralFiltersComeInInstallOrderAndCombineToTheStrongest) {
  SKIP_UNLESS(needs::root());
  const seccomp::Program older =
      compile_text("policy a { syscalls default allow arch x86_64 { errno(EPERM) mkdir } }");
  const seccomp::Program newer = compile_text(
      "policy b { syscalls default allow arch x86_64 { kill mkdir\n errno(EACCES) rmdir } }");
  FilteredChild child({older, newer});
  const auto got = inspect::fetch_seccomp_filters(child.pid());
  expect_left_alone(child.pid());
  ASSERT_EQ(got.size(), 2u);
  // The kernel's index 0 is the first filter installed.
  EXPECT_EQ(got[0].size(), older.size());
  EXPECT_EQ(got[1].size(), newer.size());
  const seccomp::Decompiled d =
      seccomp::decompile(seccomp::combined(got), {*names::arch_token("x86_64")});
  const std::string text = inspect::filter_policy_text(d, "both");
  EXPECT_NE(text.find("kill-process mkdir"), std::string::npos) << text;
  EXPECT_NE(text.find("errno(EACCES) rmdir"), std::string::npos) << text;
}

TEST(InspectProcess, AProcessWithoutFiltersHasNone) {
  SKIP_UNLESS(needs::root());
  FilteredChild child({});
  EXPECT_TRUE(inspect::fetch_seccomp_filters(child.pid()).empty());
  const auto facts = inspect::read_process(child.pid());
  EXPECT_EQ(facts.status.seccomp_mode, 0);
  const std::string text = inspect::render_text(facts);
  EXPECT_NE(text.find("Seccomp       disabled"), std::string::npos) << text;
  expect_left_alone(child.pid());
}

TEST(InspectProcess, ANonexistentPidIsAClearError) {
  // A pid above pid_max cannot exist.
  std::ifstream in("/proc/sys/kernel/pid_max");
  long pid_max = 0;
  in >> pid_max;
  const pid_t none = static_cast<pid_t>(pid_max + 1);
  const std::string e = error_of([&] { inspect::fetch_seccomp_filters(none); });
  EXPECT_NE(e.find("there is no process " + std::to_string(none)), std::string::npos) << e;
  const std::string r = error_of([&] { inspect::read_process(none); });
  EXPECT_NE(r.find("check the pid"), std::string::npos) << r;
}

TEST(InspectProcess, AZombieIsRefusedAndOurOwnPidToo) {
  SKIP_UNLESS(needs::root());
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  // Wait until it is a zombie, without reaping it.
  for (int i = 0; i < 500 && status_field(child, "State").rfind('Z', 0) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(status_field(child, "State").substr(0, 1), "Z");
  const std::string e = error_of([&] { inspect::fetch_seccomp_filters(child); });
  EXPECT_NE(e.find("zombie"), std::string::npos) << e;
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, 0), child);  // still our child, not a tracee
  EXPECT_TRUE(WIFEXITED(status));
  const std::string own = error_of([&] { inspect::fetch_seccomp_filters(::getpid()); });
  EXPECT_NE(own.find("this inspector itself"), std::string::npos) << own;
}

TEST(InspectProcess, ProcessPostureHasTheKernelsFacts) {
  SKIP_UNLESS(needs::root());
  FilteredChild child({compile_text(kSmall)});
  const audit::Posture p = inspect::posture_of_process(child.pid());
  EXPECT_EQ(p.kind, audit::Posture::Kind::Process);
  EXPECT_TRUE(p.seccomp.known);
  ASSERT_EQ(p.seccomp.filters.size(), 1u);
  ASSERT_TRUE(p.no_new_privs.known());
  EXPECT_TRUE(*p.no_new_privs.value);
  ASSERT_TRUE(p.capabilities.known());
  ASSERT_TRUE(p.namespaces.known());
  for (const auto& n : *p.namespaces.value)
    EXPECT_EQ(n.sharing, audit::Sharing::Host) << n.kind;  // a plain child shares the host's
  EXPECT_FALSE(p.landlock.known());
  EXPECT_NE(p.subject.find(std::to_string(child.pid())), std::string::npos);
  expect_left_alone(child.pid());
}

// A process names itself (prctl PR_SET_NAME): control characters the kernel leaves as they are in
// /proc/PID/status (backspace, DEL) must not reach the reviewer's terminal through the report.
TEST(InspectProcess, AProcessNameCannotDriveTheTerminal) {
  SKIP_UNLESS(needs::root());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    const char name[] = "ok\b\b\b\x7f" "evil";
    if (::prctl(PR_SET_NAME, name, 0, 0, 0) != 0) ::_exit(10);
    char c = 'r';
    if (::write(ready[1], &c, 1) != 1) ::_exit(11);
    while (true) ::pause();
  }
  ::close(ready[1]);
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ASSERT_NE(status_field(child, "Name").find('\b'), std::string::npos)
      << "the kernel escapes backspace in /proc/PID/status now: pick another character";
  const std::string text = inspect::render_text(inspect::read_process(child));
  const std::string subject = inspect::posture_of_process(child).subject;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  for (const std::string& s : {text, subject})
    for (char ch : s)
      EXPECT_TRUE(ch == '\n' || ch == '\t' ||
                  (static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f))
          << "control character " << int(ch) << " in: " << s;
  EXPECT_NE(subject.find("ok????evil"), std::string::npos) << subject;
}
