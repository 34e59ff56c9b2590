// The built-in syscall frequencies: `strace -f -c` summaries of three common container workloads,
// summed (a busybox httpd answering 100 HTTP requests fetched with busybox wget; python3 hashing
// files and writing JSON; tar czf of /usr/include/linux). Regenerate the same way for other mixes,
// or pass your own with `policyc compile --frequencies FILE`.
namespace policy::bpfgen {

extern const char* const kBuiltinStraceSummary;
const char* const kBuiltinStraceSummary =
    R"(% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
  0.00    0.000000           0     37079           newfstatat
  0.00    0.000000           0     30959           read
  0.00    0.000000           0     28679           lseek
  0.00    0.000000           0     18752           openat
  0.00    0.000000           0     18590           close
  0.00    0.000000           0     14287           ioctl
  0.00    0.000000           0      4132           getdents64
  0.00    0.000000           0      1078           mmap
  0.00    0.000000           0      1076           rt_sigaction
  0.00    0.000000           0       866           rt_sigprocmask
  0.00    0.000000           0       852           write
  0.00    0.000000           0       670           brk
  0.00    0.000000           0       648           fcntl
  0.00    0.000000           0       360           execve
  0.00    0.000000           0       289           set_robust_list
  0.00    0.000000           0       287           wait4
  0.00    0.000000           0       274           mprotect
  0.00    0.000000           0       259           dup2
  0.00    0.000000           0       200           sendfile
  0.00    0.000000           0       200           alarm
  0.00    0.000000           0       192           getuid
  0.00    0.000000           0       178           prlimit64
  0.00    0.000000           0       147           getrandom
  0.00    0.000000           0       146           arch_prctl
  0.00    0.000000           0       146           set_tid_address
  0.00    0.000000           0       146           rseq
  0.00    0.000000           0       143           clone
  0.00    0.000000           0       143           rt_sigreturn
  0.00    0.000000           0       118           access
  0.00    0.000000           0       108           readlink
  0.00    0.000000           0       105           socket
  0.00    0.000000           0       104           connect
  0.00    0.000000           0       102           vfork
  0.00    0.000000           0       101           accept
  0.00    0.000000           0       101           prctl
  0.00    0.000000           0       101           setsockopt
  0.00    0.000000           0       100           shutdown
  0.00    0.000000           0       100           ftruncate
  0.00    0.000000           0        93           geteuid
  0.00    0.000000           0        91           getgid
  0.00    0.000000           0        91           getegid
  0.00    0.000000           0        90           pread64
  0.00    0.000000           0        90           getpid
  0.00    0.000000           0        68           munmap
  0.00    0.000000           0        55           futex
  0.00    0.000000           0        50           getppid
  0.00    0.000000           0        29           pipe2
  0.00    0.000000           0        23           poll
  0.00    0.000000           0        17           sysinfo
  0.00    0.000000           0        16           getpgrp
  0.00    0.000000           0        16           uname
  0.00    0.000000           0         7           chdir
  0.00    0.000000           0         6           getcwd
  0.00    0.000000           0         6           faccessat2
  0.00    0.000000           0         2           gettid
  0.00    0.000000           0         2           statfs
  0.00    0.000000           0         2           dup
  0.00    0.000000           0         1           clock_nanosleep
  0.00    0.000000           0         1           bind
  0.00    0.000000           0         1           listen
  0.00    0.000000           0         1           kill
  0.00    0.000000           0         1           creat
------ ----------- ----------- --------- --------- ----------------
100.00    0.000000           0    162577           total
)";

}  // namespace policy::bpfgen
