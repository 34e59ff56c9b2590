#include "runtime/launch/seccomp.hpp"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "compiler/common/error.hpp"

namespace policy::launch::seccomp {

int install(const std::vector<sock_filter>& program, unsigned flags) {
  if (program.empty()) return 0;
  if (program.size() > BPF_MAXINSNS)
    throw Error("seccomp: the compiled filter has " + std::to_string(program.size()) +
                " instructions, more than the kernel's limit of " + std::to_string(BPF_MAXINSNS));
  struct sock_fprog prog {
    static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())
  };
  const long result = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (result < 0) {
    int e = errno;
    std::string hint = e == EACCES   ? " (needs no_new_privileges or CAP_SYS_ADMIN)"
                       : e == EINVAL ? " (the kernel rejected the BPF program as invalid)"
                                     : "";
    errno = e;
    throw sys_error("seccomp: install the filter" + hint);
  }
  return static_cast<int>(result);
}

}  // namespace policy::launch::seccomp
