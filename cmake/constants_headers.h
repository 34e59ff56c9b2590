/* Headers whose integer macros become named constants in policies (errno names, AF_*, CLONE_*, ...).
 * The values are never typed by hand: the compiler evaluates each macro from these headers. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sched.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <asm/prctl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/personality.h>
