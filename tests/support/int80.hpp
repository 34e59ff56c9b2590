// 32-bit system calls (int $0x80) from a 64-bit x86 test process: how the tests make a call the
// kernel hands to seccomp as AUDIT_ARCH_I386, to watch a filter judge the compat ABI.
#pragma once

#if defined(__x86_64__)
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "compiler/common/names.hpp"
#include "compiler/seccomp/equivalence.hpp"

namespace test_support {

// A 32-bit system call from this 64-bit process; ebp (the sixth argument) is saved around it, and
// the red zone is stepped over before the push. The sixth argument comes in a register: a memory
// operand may be addressed from rsp, which the sub and the push have moved (ebp then held stack
// garbage, and a kernel with IA32 emulation judged a different call than the test meant).
inline long raw_int80(uint32_t nr, const policy::seccomp::Args& a) {
  const uint32_t arg5 = static_cast<uint32_t>(a[5]);
  long ret;
  asm volatile(
      "sub $128, %%rsp\n\t"
      "push %%rbp\n\t"
      "mov %k7, %%ebp\n\t"
      "int $0x80\n\t"
      "pop %%rbp\n\t"
      "add $128, %%rsp"
      : "=a"(ret)
      : "a"(static_cast<uint64_t>(nr)), "b"(static_cast<uint32_t>(a[0])),
        "c"(static_cast<uint32_t>(a[1])), "d"(static_cast<uint32_t>(a[2])),
        "S"(static_cast<uint32_t>(a[3])), "D"(static_cast<uint32_t>(a[4])), "r"(arg5)
      : "memory", "r8", "r9", "r10", "r11");
  // The kernel returns a 32-bit value in eax for a 32-bit call.
  return static_cast<int32_t>(ret);
}

// Can this kernel take 32-bit calls from a 64-bit process (CONFIG_IA32_EMULATION)?
inline bool host_takes_int80() {
  static const bool yes = [] {
    const int getpid32 =
        *policy::names::syscall_number("getpid", *policy::names::arch_token("x86"));
    pid_t pid = fork();
    if (pid == 0) _exit(raw_int80(static_cast<uint32_t>(getpid32), {}) == getpid() ? 0 : 1);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }();
  return yes;
}

}  // namespace test_support

#endif  // __x86_64__
