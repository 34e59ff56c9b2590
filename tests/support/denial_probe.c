/* Test-only probe run inside containers (statically linked: it needs nothing from the image).
 * `denial_probe CHECK` makes one operation that an enforcement layer should refuse and prints
 * `CHECK=OK` when it succeeded or `CHECK=<errno name>` when it was refused, then exits 0; a
 * seccomp kill ends it with SIGSYS instead.
 *   personality   personality(4)                      (seccomp: not in docker-default's list)
 *   ptrace        ptrace(PTRACE_TRACEME)              (seccomp: web.pol kills it)
 *   nice          setpriority(PRIO_PROCESS, 0, -5)    (capabilities: needs CAP_SYS_NICE)
 *   write-shm     create /dev/shm/denial-probe        (Landlock: web.pol writes nowhere there)
 *   read-hostname read /etc/hostname                  (Landlock: not in web.pol's read list)
 *   fork          fork up to 200 children             (cgroup: pids limit), prints how many
 *   nnp           prctl(PR_GET_NO_NEW_PRIVS)          prints nnp=1 or nnp=0
 *   syscalls      a sample of system calls that Docker's profile decides one way or another,
 *                 each with arguments that make it fail harmlessly (EFAULT, EBADF, EINVAL...)
 *                 when it is let through: one line `name=OK|<errno name>` each, to compare two
 *                 runtimes' filters call by call (x86_64 only). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char* check, int rc) {
  if (rc >= 0)
    printf("%s=OK\n", check);
  else
    printf("%s=%s\n", check, strerrorname_np(errno));
  return 0;
}

static int fork_many(void) {
  enum { kMax = 200 };
  pid_t kids[kMax];
  int made = 0, err = 0;
  while (made < kMax) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      pause();
      _exit(0);
    }
    kids[made++] = pid;
  }
  for (int i = 0; i < made; ++i) kill(kids[i], SIGKILL);
  for (int i = 0; i < made; ++i) waitpid(kids[i], NULL, 0);
  printf("fork=%d %s\n", made, err ? strerrorname_np(err) : "OK");
  return 0;
}

#define CALL(name, ...) report(#name, (int)syscall(SYS_##name, __VA_ARGS__))

static int sample_syscalls(void) {
#if defined(__x86_64__)
  CALL(getpid, 0);
  report("personality-query", (int)syscall(SYS_personality, 0xffffffffUL));
  report("personality-4", (int)syscall(SYS_personality, 4UL));
  {
    long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
    report("socket-inet", (int)fd);
    if (fd >= 0) close((int)fd);
    report("socket-vsock", (int)syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0));
    report("socket-inet-high-word",
           (int)syscall(SYS_socket, (1UL << 32) | AF_INET, SOCK_STREAM, 0));
  }
  CALL(clone3, NULL, 0);
  CALL(mount, NULL, NULL, NULL, 0, NULL);
  CALL(umount2, "/nonexistent", 0);
  CALL(keyctl, 0, 0, 0);
  CALL(add_key, NULL, NULL, NULL, 0, 0);
  CALL(bpf, 0, NULL, 0);
  CALL(perf_event_open, NULL, 0, -1, -1, 0);
  CALL(kexec_load, 0, 0, NULL, 0);
  CALL(open_by_handle_at, -1, NULL, 0);
  CALL(name_to_handle_at, -1, NULL, NULL, NULL, 0);
  CALL(setns, -1, 0);
  CALL(io_uring_setup, 0, NULL);
  CALL(ptrace, 0x7fffffff, 0, NULL, NULL);
  CALL(process_vm_readv, 0, NULL, 0, NULL, 0, 0);
  CALL(syslog, 10, NULL, 0);
  CALL(acct, "/nonexistent/acct");
  CALL(swapon, NULL, 0);
  CALL(reboot, 0, 0, 0, NULL);
  CALL(init_module, NULL, 0, NULL);
  CALL(chroot, "/nonexistent");
  CALL(clock_settime, 0, NULL);
  CALL(iopl, 4);
  CALL(quotactl, 0, NULL, 0, NULL);
  CALL(lookup_dcookie, 0, NULL, 0);
  CALL(fanotify_init, 0xffffffff, 0);
  CALL(mbind, NULL, 0, 0, NULL, 0, 0);
  CALL(kcmp, 0, 0, 0, 0, 0);
  CALL(pidfd_getfd, -1, -1, 0);
  CALL(arch_prctl, 0, 0);
  CALL(modify_ldt, 0, NULL, 0);
  report("getpid-x32", (int)syscall(SYS_getpid | 0x40000000, 0));
  report("unknown-1000", (int)syscall(1000, 0));
#ifdef SYS_mseal
  CALL(mseal, 0, 0, 0);
#endif
  CALL(unshare, 0x10000000 /* CLONE_NEWUSER */);  // last: if let through, the probe's creds change
  return 0;
#else
  fprintf(stderr, "denial_probe: the syscall sample is x86_64's\n");
  return 2;
#endif
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc != 2) {
    fprintf(stderr, "usage: denial_probe CHECK\n");
    return 2;
  }
  const char* c = argv[1];
  if (strcmp(c, "personality") == 0) return report(c, personality(4));
  if (strcmp(c, "ptrace") == 0) return report(c, (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL));
  if (strcmp(c, "nice") == 0) return report(c, setpriority(PRIO_PROCESS, 0, -5));
  if (strcmp(c, "write-shm") == 0)
    return report(c, open("/dev/shm/denial-probe", O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (strcmp(c, "read-hostname") == 0) {
    char buf[256];
    int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
    return report(c, fd < 0 ? fd : (int)read(fd, buf, sizeof buf));
  }
  if (strcmp(c, "fork") == 0) return fork_many();
  if (strcmp(c, "syscalls") == 0) return sample_syscalls();
  if (strcmp(c, "nnp") == 0) {
    printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    return 0;
  }
  fprintf(stderr, "denial_probe: unknown check %s\n", c);
  return 2;
}
