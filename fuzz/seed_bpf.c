/* Writes seed programs for the bpf fuzz target (fuzz/gather-corpus compiles and runs it): seccomp
 * filters libseccomp builds for a few rule sets, each as struct sock_filter[] in host order, to
 * the files named on the command line (one per variant: seed_bpf OUT0 OUT1 ...). System call
 * numbers and constants come from libseccomp and the system headers. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void rule(scmp_filter_ctx ctx, uint32_t action, const char* name) {
  if (seccomp_rule_add(ctx, action, seccomp_syscall_resolve_name(name), 0) != 0) {
    fprintf(stderr, "seed_bpf: cannot add %s\n", name);
    exit(1);
  }
}

static scmp_filter_ctx variant(int v) {
  scmp_filter_ctx ctx = seccomp_init(v == 3 ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM));
  if (!ctx) exit(1);
  if (v >= 1) {
    seccomp_arch_add(ctx, SCMP_ARCH_X86);
    seccomp_arch_add(ctx, SCMP_ARCH_X32);
  }
  if (v == 2) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (v == 3) {
    rule(ctx, SCMP_ACT_KILL_PROCESS, "kexec_load");
    rule(ctx, SCMP_ACT_TRAP, "ptrace");
    rule(ctx, SCMP_ACT_LOG, "personality");
    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), seccomp_syscall_resolve_name("ioctl"), 1,
                     SCMP_A1(SCMP_CMP_EQ, TIOCSTI));
    return ctx;
  }
  const char* allowed[] = {"read",  "write",  "close",        "exit_group", "mmap",  "brk",
                           "futex", "openat", "rt_sigreturn", "execve",     "clone", "getpid"};
  for (size_t i = 0; i < sizeof allowed / sizeof *allowed; ++i)
    rule(ctx, SCMP_ACT_ALLOW, allowed[i]);
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("socket"), 1,
                   SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("socket"), 1,
                   SCMP_A0(SCMP_CMP_EQ, AF_INET));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("personality"), 1,
                   SCMP_A0(SCMP_CMP_LE, 8));
  seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), seccomp_syscall_resolve_name("clone3"), 0);
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("fcntl"), 1,
                   SCMP_A1(SCMP_CMP_MASKED_EQ, O_ACCMODE, 0));
  seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name("kill"), 2,
                   SCMP_A0(SCMP_CMP_GT, 1), SCMP_A1(SCMP_CMP_NE, 9));
  return ctx;
}

int main(int argc, char** argv) {
  for (int v = 0; v + 1 < argc; ++v) {
    int fd = open(argv[v + 1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || seccomp_export_bpf(variant(v), fd) != 0) return 1;
    close(fd);
  }
  return 0;
}
