// The kernel agrees with the audit: a filter that compares ioctl's whole 64-bit request refuses
// TIOCSTI, yet TIOCSTI | 1<<32 reaches the tty and pushes input (the audit's finding), while a
// u32(request) filter refuses both (no finding); a policy allowing socket(AF_UNIX, AF_INET) lets
// a 32-bit program create an AF_ALG socket through socketcall (the audit's finding on x86).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/net.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "compiler/audit/audit.hpp"
#include "compiler/audit/from_policy.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "seccomp/seccomp_test_support.hpp"
#include "support/int80.hpp"

using namespace policy;

namespace {

ir::Policy load(const std::string& text) {
  frontend::LoadOptions o;
  DiagnosticEngine diags;
  auto p = frontend::load_policy_text("t.pol", text, o, diags);
  if (!p || diags.has_errors()) throw std::runtime_error("policy does not load");
  return *p;
}

// In the child: a pty pair; `request` with '\n' on the slave; 0 when the newline can be read back
// (the kernel ran TIOCSTI), else the errno of the ioctl (or 199 for an unread newline).
int push_newline(uint64_t request) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return 198;
  const char* name = ptsname(master);
  if (!name) return 198;
  const int slave = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (slave < 0) return 198;
  char c = '\n';
  if (syscall(SYS_ioctl, slave, request, &c) != 0) return seccomp_test::errno_of(-1);
  char got = 0;
  return read(slave, &got, 1) == 1 && got == '\n' ? 0 : 199;
}

struct Outcome {
  int plain, high_bits;
};

Outcome run_under(const ir::Policy& p) {
  const seccomp::Program prog = driver::compile_seccomp(p.seccomp, {});
  Outcome o{};
  auto code = [&](uint64_t request) {
    auto r = seccomp_test::run_filtered(prog, [request] { return push_newline(request); });
    return r.exited ? r.exit_code : 300 + r.signal;
  };
  o.plain = code(TIOCSTI);
  o.high_bits = code(TIOCSTI | (1ULL << 32));
  return o;
}

bool has(const audit::AuditResult& r, const std::string& id) {
  for (const auto& f : r.findings)
    if (f.id == id) return true;
  return false;
}

TEST(AuditKernel, TiocstiWithUpperBitsGetsPastA64BitComparison) {
  if (geteuid() != 0) GTEST_SKIP() << "TIOCSTI on another tty needs CAP_SYS_ADMIN (run as root)";
  if (names::native_arch() != *names::arch_token("x86_64")) GTEST_SKIP() << "x86_64 host only";
  const ir::Policy wide = load(
      "policy t {\n  syscalls default allow {\n"
      "    errno(ENOTRECOVERABLE) ioctl(request in {TIOCSTI, TIOCLINUX})\n  }\n}\n");
  const Outcome w = run_under(wide);
  if (w.high_bits == EIO || w.high_bits == EPERM)
    GTEST_SKIP() << "this kernel refuses TIOCSTI itself (dev.tty.legacy_tiocsti)";
  EXPECT_EQ(w.plain, ENOTRECOVERABLE);  // the filter refuses the plain request
  EXPECT_EQ(w.high_bits, 0);            // the kernel ran TIOCSTI: the newline is in the input
  EXPECT_TRUE(
      has(audit::run_audit(audit::posture_of_policy(wide, {}, "wide")), "syscall.ioctl-TIOCSTI"));

  const ir::Policy narrow = load(
      "policy t {\n  syscalls default allow {\n"
      "    errno(ENOTRECOVERABLE) ioctl(u32(request) in {TIOCSTI, TIOCLINUX})\n  }\n}\n");
  const Outcome n = run_under(narrow);
  EXPECT_EQ(n.plain, ENOTRECOVERABLE);
  EXPECT_EQ(n.high_bits, ENOTRECOVERABLE);
  EXPECT_FALSE(has(audit::run_audit(audit::posture_of_policy(narrow, {}, "narrow")),
                   "syscall.ioctl-TIOCSTI"));
}

#if defined(__x86_64__)
// socket(domain in {AF_UNIX, AF_INET}) cannot be enforced for 32-bit programs: the compiled filter
// allows socketcall(SYS_SOCKET), whose family lies in memory. The kernel creates the AF_ALG socket
// (or says the family is unsupported), never the policy's errno.
TEST(AuditKernel, SocketcallOnX86GetsAfAlgPastASocketRule) {
  if (!test_support::host_takes_int80()) GTEST_SKIP() << "no IA32 emulation in this kernel";
  const ir::Policy p = load(
      "policy t {\n  syscalls default errno(ENOTRECOVERABLE) {\n"
      "    allow socket(domain in {AF_UNIX, AF_INET})\n    allow exit_group\n  }\n}\n");
  bool found = false;
  for (const auto& f : audit::run_audit(audit::posture_of_policy(p, {}, "t")).findings)
    if (f.id == "syscall.socket-AF_ALG" && f.title.find("socketcall") != std::string::npos)
      found = true;
  EXPECT_TRUE(found);

  // socketcall's argument block, where a 32-bit pointer reaches it.
  void* mem =
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* block = static_cast<uint32_t*>(mem);
  block[0] = AF_ALG;
  block[1] = SOCK_SEQPACKET;
  block[2] = 0;
  const auto socketcall32 = *names::syscall_number("socketcall", *names::arch_token("x86"));
  const seccomp::Program prog = driver::compile_seccomp(p.seccomp, {});
  auto run = [&](bool compat) {
    auto r = seccomp_test::run_filtered(prog, [&] {
      const long rc =
          compat ? test_support::raw_int80(static_cast<uint32_t>(socketcall32),
                                           {SYS_SOCKET, reinterpret_cast<uintptr_t>(block)})
                 : syscall(SYS_socket, AF_ALG, SOCK_SEQPACKET, 0);
      const long err = compat ? (rc < 0 ? -rc : 0) : (rc < 0 ? errno : 0);
      return err == ENOTRECOVERABLE ? 1 : 0;  // 1: the filter refused it
    });
    return r.exited ? r.exit_code : 300 + r.signal;
  };
  EXPECT_EQ(run(false), 1);  // x86_64 socket(AF_ALG): refused by the filter
  EXPECT_EQ(run(true), 0);   // x86 socketcall(SYS_SOCKET, AF_ALG): past the filter
  munmap(mem, 4096);
}
#endif

}  // namespace
