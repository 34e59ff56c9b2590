/* Test-only LD_PRELOAD library: an attacker inside a real service. Loaded into the service's own
 * process (policyrun ... -e LD_PRELOAD=/usr/lib/policyrun-test/attack.so -e POLICY_ATTACK=1
 * IMAGE), after every layer of the policy is in force, its constructor tries what a compromised
 * server would try first, each in a forked child so that a seccomp kill ends only that try:
 *   exec     execve("/bin/sh")
 *   write    open(O_WRONLY|O_CREAT) of /etc/policyrun-attack (on a read-only root: EROFS first)
 *   write-mount  the same at $POLICY_ATTACK_WRITABLE (default /dev/shm/policyrun-attack): a
 *            path on a writable mount that the policy does not let the service write
 *   ptrace   ptrace(PTRACE_TRACEME)
 *   userns   unshare(CLONE_NEWUSER)
 *   packet   socket(AF_PACKET, SOCK_RAW)
 *   netlink  socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)
 * and writes one line per try to stderr, `attack NAME=OK`, `=ERRNO` (EPERM, EACCES, ...) or
 * `=SIGNAL` (SIGSYS), then ends the process with _exit(0): the service never starts.
 * Without POLICY_ATTACK=1 it does nothing. Never linked into a product binary. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Each returns 0 when the operation worked, else the errno the kernel gave. */
static int try_exec(void) {
  char* const argv[] = {"sh", "-c", "exit 0", NULL};
  char* const envp[] = {"PATH=/usr/bin:/bin", NULL}; /* no LD_PRELOAD: the shell must not recurse */
  execve("/bin/sh", argv, envp);
  return errno;
}

static int try_create(const char* path) {
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  close(fd);
  unlink(path);
  return 0;
}

static int try_write(void) {
  return try_create("/etc/policyrun-attack");
}

static int try_write_mount(void) {
  const char* path = getenv("POLICY_ATTACK_WRITABLE");
  return try_create(path && *path ? path : "/dev/shm/policyrun-attack");
}

static int try_ptrace(void) {
  return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 0 : errno;
}

static int try_userns(void) {
  return unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
}

static int try_socket(int domain, int type, int protocol) {
  const int fd = socket(domain, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

static int try_packet(void) {
  return try_socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
}

static int try_netlink(void) {
  return try_socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
}

static void report(const char* name, const char* result) {
  char line[128];
  const int n = snprintf(line, sizeof line, "attack %s=%s\n", name, result);
  if (n > 0) (void)!write(2, line, (size_t)n);
}

static void attack(const char* name, int (*try_it)(void)) {
  const pid_t pid = fork();
  if (pid < 0) {
    report(name, strerrorname_np(errno));
    return;
  }
  if (pid == 0) _exit(try_it());
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    report(name, "LOST");
  } else if (WIFSIGNALED(status)) {
    char sig[32];
    const char* abbrev = sigabbrev_np(WTERMSIG(status)); /* "SYS" */
    snprintf(sig, sizeof sig, "SIG%s", abbrev ? abbrev : "NAL");
    report(name, sig);
  } else if (WEXITSTATUS(status) == 0) {
    report(name, "OK");
  } else {
    const char* e = strerrorname_np(WEXITSTATUS(status));
    report(name, e ? e : "ERROR");
  }
}

__attribute__((constructor)) static void attack_from_inside(void) {
  const char* on = getenv("POLICY_ATTACK");
  if (!on || strcmp(on, "1") != 0) return;
  attack("exec", try_exec);
  attack("write", try_write);
  attack("write-mount", try_write_mount);
  attack("ptrace", try_ptrace);
  attack("userns", try_userns);
  attack("packet", try_packet);
  attack("netlink", try_netlink);
  _exit(0);
}
