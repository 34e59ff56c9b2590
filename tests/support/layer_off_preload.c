/* Test-only LD_PRELOAD library: switches one enforcement step of a program off while reporting
 * success, so that a test can show its probe depends on that step (the probe must then succeed,
 * or the program must notice and refuse to run). POLICY_TEST_LAYER_OFF names the step:
 *   seccomp   seccomp(SECCOMP_SET_MODE_FILTER) and prctl(PR_SET_SECCOMP) return 0, install nothing
 *   seccomp-allow-all  the filter installed is replaced by one that allows every call (the process
 *             still shows `Seccomp: 2`, which is why a test must watch a refusal, not the mode)
 *   landlock  landlock_restrict_self returns 0, restricts nothing
 *   caps      capset, prctl(PR_CAPBSET_DROP) and the ambient-set changes return 0, change nothing
 *   nnp       prctl(PR_SET_NO_NEW_PRIVS) returns 0, sets nothing
 *   cgroup    writes to cgroup limit files (memory, pids, cpu) go to /dev/null
 * It wraps libc's syscall(), prctl(), capset() and open() (policyrun and libcap reach the kernel
 * through them); a program that made these calls another way would not be affected, which the
 * tests detect: their probes would still be refused. Never linked into a product binary. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static long (*real_syscall)(long, ...);
static int (*real_prctl)(int, ...);
static int (*real_capset)(void*, const void*);
static int (*real_open)(const char*, int, ...);
static int (*real_open64)(const char*, int, ...);

/* Resolved at load time: a child cloned with CLONE_VM must not be the first to call dlsym. */
__attribute__((constructor)) static void resolve_real_functions(void) {
  real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  real_prctl = (int (*)(int, ...))dlsym(RTLD_NEXT, "prctl");
  real_capset = (int (*)(void*, const void*))dlsym(RTLD_NEXT, "capset");
  real_open = (int (*)(const char*, int, ...))dlsym(RTLD_NEXT, "open");
  real_open64 = (int (*)(const char*, int, ...))dlsym(RTLD_NEXT, "open64");
}

static int layer_is_off(const char* layer) {
  const char* off = getenv("POLICY_TEST_LAYER_OFF");
  return off && strcmp(off, layer) == 0;
}

static int prctl_is_switched_off(long option, unsigned long arg2) {
  if (option == PR_SET_SECCOMP) return layer_is_off("seccomp");
  if (option == PR_SET_NO_NEW_PRIVS) return layer_is_off("nnp");
  if (option == PR_CAPBSET_DROP) return layer_is_off("caps");
  if (option == PR_CAP_AMBIENT && arg2 != PR_CAP_AMBIENT_IS_SET) return layer_is_off("caps");
  return 0;
}

long syscall(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a[6];
  for (int i = 0; i < 6; ++i) a[i] = va_arg(ap, long);
  va_end(ap);
  static struct sock_filter allow_all[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  static struct sock_fprog allow_all_prog = {1, allow_all};
  /* A filter asked for with a listener (explain mode) must return one: allow-all gives it. */
  if (nr == SYS_seccomp && a[0] == SECCOMP_SET_MODE_FILTER && layer_is_off("seccomp") &&
      !(a[1] & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    return 0;
  if (nr == SYS_seccomp && a[0] == SECCOMP_SET_MODE_FILTER &&
      (layer_is_off("seccomp-allow-all") || layer_is_off("seccomp")))
    a[2] = (long)&allow_all_prog;
  if (nr == SYS_landlock_restrict_self && layer_is_off("landlock")) return 0;
  if (nr == SYS_capset && layer_is_off("caps")) return 0;
  if (nr == SYS_prctl && prctl_is_switched_off(a[0], (unsigned long)a[1])) return 0;
  return real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int prctl(int option, ...) {
  va_list ap;
  va_start(ap, option);
  unsigned long a[4];
  for (int i = 0; i < 4; ++i) a[i] = va_arg(ap, unsigned long);
  va_end(ap);
  if (prctl_is_switched_off(option, a[0])) return 0;
  return real_prctl(option, a[0], a[1], a[2], a[3]);
}

int capset(void* header, const void* data) {
  if (layer_is_off("caps")) return 0;
  return real_capset(header, data);
}

static int is_cgroup_limit_file(const char* path) {
  static const char* const limits[] = {"/memory.limit_in_bytes",
                                       "/memory.memsw.limit_in_bytes",
                                       "/memory.max",
                                       "/memory.swap.max",
                                       "/pids.max",
                                       "/cpu.max",
                                       "/cpu.cfs_quota_us",
                                       "/cpu.cfs_period_us",
                                       "/cpu.shares",
                                       "/cpu.weight"};
  const size_t n = strlen(path);
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; ++i) {
    const size_t m = strlen(limits[i]);
    if (n >= m && strcmp(path + n - m, limits[i]) == 0) return 1;
  }
  return 0;
}

static int open_common(int (*real)(const char*, int, ...), const char* path, int flags,
                       mode_t mode) {
  if ((flags & O_ACCMODE) != O_RDONLY && strncmp(path, "/sys/fs/cgroup/", 15) == 0 &&
      is_cgroup_limit_file(path) && layer_is_off("cgroup"))
    path = "/dev/null";
  return real(path, flags, mode);
}

/* open's mode argument is there only with O_CREAT or O_TMPFILE. */
#define OPEN_WRAPPER(name, real)                 \
  int name(const char* path, int flags, ...) {   \
    mode_t mode = 0;                             \
    if (flags & (O_CREAT | O_TMPFILE)) {         \
      va_list ap;                                \
      va_start(ap, flags);                       \
      mode = (mode_t)va_arg(ap, int);            \
      va_end(ap);                                \
    }                                            \
    return open_common(real, path, flags, mode); \
  }
OPEN_WRAPPER(open, real_open)
OPEN_WRAPPER(open64, real_open64)
