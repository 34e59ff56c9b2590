// Why did the container die? When the command dies of SIGSYS (a seccomp kill or trap) or of a
// crash signal right after it started under a filter that allows almost nothing, policyrun says so:
// which syscall the kernel stopped and which rule of the policy decided it
// (docs/runtime.md, "Why a container died").
//
// The syscall comes from the kernel's audit record of the seccomp action (type=1326, written to
// the kernel log for the actions in /proc/sys/kernel/seccomp/actions_logged, kill and trap by
// default), read from /dev/kmsg from the position it had before the launch.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "compiler/ir/policy.hpp"
#include "runtime/launch/fds.hpp"
#include "runtime/launch/launch.hpp"

namespace policy::launch::exit_report {

// The fields of one kernel record of a seccomp action ("audit: type=1326 ... pid=N ... sig=31
// arch=c000003e syscall=39 compat=0 ip=... code=0x80000000").
struct SeccompRecord {
  pid_t pid = 0;
  int sig = 0;
  uint32_t arch = 0;  // AUDIT_ARCH_* (what seccomp_data.arch holds)
  int syscall = 0;    // as the filter saw it (x32 calls carry the x32 bit)
  uint32_t code = 0;  // the filter's return value's action (SECCOMP_RET_KILL_PROCESS, ...)
};
// nullopt when `line` (one /dev/kmsg record or one `dmesg` line) is not such a record.
std::optional<SeccompRecord> parse_record(const std::string& line);

// "getpid (39, x86_64) [t.pol:4:5: kill getpid]": the syscall of `record` by name and the rule of
// `policy` that gives the record's action to it (the first rule of that syscall with that action,
// else the default action, else the bad-arch action).
std::string describe_kill(const ir::Policy& policy, const SeccompRecord& record);

// "t.pol:4:5: kill getpid (via @group)": a rule as its policy line says it (or in the policy's
// words when the file cannot be read), for this report and explain mode's (denials.hpp).
std::string rule_text(const ir::SyscallRule& rule);

// How many syscalls of `arch` (a libseccomp token) `filter` allows when every argument is 0.
size_t allowed_syscalls(const std::vector<sock_filter>& filter, uint32_t arch);

// Created before the container starts (it takes the kernel log's position then), asked after it
// ended. Every failure is silent: the report is a help, never a reason for the run to fail.
class Watch {
 public:
  explicit Watch(const LaunchRequest& request);
  void started(pid_t pid) { pid_ = pid; }
  // `exit_code` is policyrun's (128+N for a death by signal N). Writes the explanation, if any,
  // to the request's diagnostics fd.
  void report(int exit_code);

 private:
  std::string explain(int sig);
  std::optional<SeccompRecord> find_record();

  const LaunchRequest& request_;
  UniqueFd kmsg_;
  std::string kmsg_problem_;  // why the kernel log cannot be read ("" when it can)
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace policy::launch::exit_report
