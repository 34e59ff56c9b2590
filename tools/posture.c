/* A stand-in web server for the README's example image: it reports, from inside the container,
 * what the policy left it (capabilities, no_new_privs, seccomp, namespaces, cgroup, hostname) and
 * tries a few things a confined web server must not do, printing how the kernel refused each. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/netlink.h>

static void print_status(void) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) { printf("  /proc/self/status: %s\n", strerror(errno)); return; }
  char line[256];
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) || !strncmp(line, "Seccomp:", 8))
      printf("  %s", line);
  fclose(f);
}

static void print_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) { printf("  %s: %s\n", path, strerror(errno)); return; }
  char line[256];
  while (fgets(line, sizeof line, f)) printf("  %s", line);
  fclose(f);
}

static void attempt(const char *what, int rc) {
  printf("  %-44s %s\n", what, rc < 0 ? strerror(errno) : "ALLOWED");
}

int main(void) {
  struct utsname u;
  uname(&u);
  printf("inside the container: pid %d, hostname \"%s\"\n", getpid(), u.nodename);
  print_status();
  printf("namespaces:\n");
  const char *ns[] = {"mnt", "pid", "net", "uts", "ipc", "cgroup", "user"};
  for (unsigned i = 0; i < sizeof ns / sizeof *ns; ++i) {
    char path[64], target[64] = "";
    snprintf(path, sizeof path, "/proc/self/ns/%s", ns[i]);
    ssize_t n = readlink(path, target, sizeof target - 1);
    printf("  %-7s %s\n", ns[i], n > 0 ? target : strerror(errno));
  }
  printf("cgroup:\n");
  print_file("/proc/self/cgroup");
  printf("what the kernel refuses:\n");
  attempt("mount tmpfs on /mnt (seccomp, no CAP_SYS_ADMIN)", mount("none", "/mnt", "tmpfs", 0, 0));
  attempt("socket(AF_NETLINK) (seccomp)", socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
  attempt("unshare(CLONE_NEWUSER) (seccomp)", unshare(CLONE_NEWUSER));
  attempt("write /etc/motd (read-only root, Landlock)", open("/etc/motd", O_WRONLY | O_CREAT, 0644));
  attempt("read /release (Landlock: not in the policy)", open("/release", O_RDONLY));
  attempt("write /tmp/scratch (allowed: tmpfs /tmp)", open("/tmp/scratch", O_WRONLY | O_CREAT, 0644));
  char *argv[] = {"sh", "-c", "true", NULL};
  attempt("exec /bin/sh (Landlock: exec only nginx)", execv("/bin/sh", argv));
  return 0;
}
