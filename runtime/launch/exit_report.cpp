#include "runtime/launch/exit_report.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "compiler/common/names.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::launch::exit_report {

namespace {

constexpr uint32_t kX32Bit = 0x40000000U;  // __X32_SYSCALL_BIT
// How long the kernel may take to print a record after the task died: without auditd, kauditd
// prints the queued record from its own thread.
constexpr std::chrono::milliseconds kRecordWait{500};
// A crash this soon after the launch began, under a filter allowing fewer syscalls than a program
// needs to start, is most likely a refused call the program did not expect (a C library that gets
// EPERM from mmap or brk, for instance, often ends in SIGSEGV). Setting the container up takes a
// few tens of milliseconds; a second leaves room for a slow host and still means "at start".
constexpr std::chrono::milliseconds kEarlyDeath{1000};
constexpr size_t kFewSyscalls = 50;  // a static "hello world" needs a handful, a dynamic one ~30

// The value of `key=` in an audit record, up to the next space or the end of the line.
std::optional<std::string> field(const std::string& line, const std::string& key) {
  size_t at = 0;
  while ((at = line.find(key + "=", at)) != std::string::npos) {
    if (at == 0 || line[at - 1] == ' ') {
      const size_t from = at + key.size() + 1;
      return line.substr(from, line.find_first_of(" \n\t", from) - from);
    }
    at += key.size();
  }
  return std::nullopt;
}

std::optional<unsigned long long> number(const std::optional<std::string>& text, int base) {
  if (!text || text->empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text->c_str(), &end, base);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return v;
}

std::vector<uint32_t> target_arches(const ir::Policy& policy) {
  return policy.seccomp.arches.empty() ? names::default_target_arches() : policy.seccomp.arches;
}

// The libseccomp token of the record's architecture, among the policy's targets.
std::optional<uint32_t> record_arch(const ir::Policy& policy, const SeccompRecord& r) {
  const bool x32_call = (static_cast<uint32_t>(r.syscall) & kX32Bit) != 0;
  for (uint32_t t : target_arches(policy))
    if (seccomp::audit_arch(t) == r.arch &&
        (t == SCMP_ARCH_X32) == (x32_call && r.arch == seccomp::audit_arch(SCMP_ARCH_X86_64)))
      return t;
  return std::nullopt;
}

bool rule_applies(const ir::SyscallRule& r, uint32_t arch) {
  if (!r.arches.empty() && std::find(r.arches.begin(), r.arches.end(), arch) == r.arches.end())
    return false;
  return std::find(r.not_arches.begin(), r.not_arches.end(), arch) == r.not_arches.end();
}

bool same_action(const ir::Action& a, uint32_t code) {
  return (seccomp::ret_of(a) & SECCOMP_RET_ACTION_FULL) == (code & SECCOMP_RET_ACTION_FULL);
}

// The policy line of `loc` (trimmed and cut short), or "" when the file cannot be read.
std::string source_text(const SourceLoc& loc) {
  if (!loc.known()) return "";
  std::ifstream in(loc.file);
  std::string line;
  for (unsigned n = 0; n < loc.line && std::getline(in, line);) ++n;
  if (!in) return "";
  const size_t from = line.find_first_not_of(" \t");
  std::string text = from == std::string::npos ? "" : line.substr(from);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.pop_back();
  if (text.size() > 100) text = text.substr(0, 97) + "...";
  return text;
}

}  // namespace

std::string rule_text(const ir::SyscallRule& r) {
  std::string text = source_text(r.loc);
  if (text.empty()) text = seccomp::describe(r.action) + " " + r.syscall;
  std::string out = r.loc.known() ? r.loc.str() + ": " + text : text;
  if (!r.via.empty()) out += " (via " + r.via + ")";
  return out;
}

namespace {

const char* signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? abbrev : "?";
}

}  // namespace

std::optional<SeccompRecord> parse_record(const std::string& line) {
  if (line.find("type=1326") == std::string::npos) return std::nullopt;
  const auto pid = number(field(line, "pid"), 10), sig = number(field(line, "sig"), 10);
  const auto arch = number(field(line, "arch"), 16), nr = number(field(line, "syscall"), 10);
  const auto code = number(field(line, "code"), 16);
  if (!pid || !sig || !arch || !nr || !code) return std::nullopt;
  return SeccompRecord{static_cast<pid_t>(*pid), static_cast<int>(*sig),
                       static_cast<uint32_t>(*arch), static_cast<int>(*nr),
                       static_cast<uint32_t>(*code)};
}

std::string describe_kill(const ir::Policy& policy, const SeccompRecord& r) {
  const std::optional<uint32_t> arch = record_arch(policy, r);
  char arch_hex[16];
  std::snprintf(arch_hex, sizeof arch_hex, "0x%x", r.arch);
  const std::string arch_name = arch ? names::arch_name(*arch) : std::string("arch ") + arch_hex;
  std::optional<std::string> name;
  if (arch) name = names::syscall_name(r.syscall, *arch);
  std::string out =
      (name ? *name : "syscall") + " (" + std::to_string(r.syscall) + ", " + arch_name + ") [";
  const ir::SeccompPolicy& sp = policy.seccomp;
  if (!arch) {
    out += "not an architecture of the filter: the bad-arch action";
  } else {
    const ir::SyscallRule* rule = nullptr;
    if (name)
      for (const ir::SyscallRule& cand : sp.rules)
        if (cand.syscall == *name && rule_applies(cand, *arch) &&
            same_action(cand.action, r.code)) {
          rule = &cand;
          break;
        }
    if (rule)
      out += rule_text(*rule);
    else if (same_action(sp.default_action, r.code))
      out += (policy.loc.known() ? policy.loc.str() + ": " : std::string()) +
             "the default action of policy " + policy.name + "'s syscalls, " +
             seccomp::describe(sp.default_action);
    else
      out += "no rule of policy " + policy.name + " gives " + seccomp::describe(r.code);
  }
  return out + "]";
}

size_t allowed_syscalls(const std::vector<sock_filter>& filter, uint32_t arch) {
  if (filter.empty()) return 0;
  size_t allowed = 0;
  for (int nr : names::arch_syscall_numbers(arch)) {
    const uint32_t ret = seccomp::run_filter_unchecked(
                             filter, seccomp::make_seccomp_data(arch, static_cast<uint32_t>(nr)))
                             .ret;
    const uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
    if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG) ++allowed;
  }
  return allowed;
}

Watch::Watch(const LaunchRequest& request)
    : request_(request), start_(std::chrono::steady_clock::now()) {
  if (request.seccomp_filter.empty()) return;
  kmsg_.reset(::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!kmsg_.valid() || ::lseek(kmsg_.get(), 0, SEEK_END) < 0) {
    kmsg_problem_ = std::string("/dev/kmsg: ") + strerror(errno);
    kmsg_.reset();
  }
}

std::optional<SeccompRecord> Watch::find_record() {
  if (!kmsg_.valid() || pid_ <= 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + kRecordWait;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(kmsg_.get(), buf, sizeof buf - 1);
    if (n > 0) {
      const std::string record(buf, static_cast<size_t>(n));
      const size_t text = record.find(';');
      if (text == std::string::npos) continue;
      std::optional<SeccompRecord> r =
          parse_record(record.substr(text + 1, record.find('\n', text) - text - 1));
      if (r && r->pid == pid_) return r;
      continue;
    }
    if (n < 0 && errno == EPIPE) continue;  // records were overwritten: read on
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      kmsg_problem_ = std::string("/dev/kmsg: ") + strerror(errno);
      return std::nullopt;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    struct pollfd pf {
      kmsg_.get(), POLLIN, 0
    };
    ::poll(&pf, 1, static_cast<int>(left.count()));
  }
}

std::string Watch::explain(int sig) {
  const ir::Policy& policy = *request_.policy;
  if (sig == SIGSYS) {
    if (std::optional<SeccompRecord> r = find_record()) {
      const bool trap = (r->code & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_TRAP;
      return std::string("policyrun: the container was ") +
             (trap ? "stopped (trap, SIGSYS)" : "killed") + " by its seccomp filter at syscall " +
             describe_kill(policy, *r) + "\n";
    }
    std::string why = !kmsg_problem_.empty() ? kmsg_problem_
                      : pid_ <= 0            ? "the container's process is not known"
                                  : "no record for its process (pid " + std::to_string(pid_) +
                                        ") in the kernel log";
    return "policyrun: the container's process ended with status " + std::to_string(128 + sig) +
           ", as a death by SIGSYS does: if its seccomp filter killed it (a kill or trap rule, or "
           "the default action), which syscall is not known (" +
           why +
           "); `dmesg | grep type=1326` shows the kernel's record of it (syscall=N, arch=...), "
           "if /proc/sys/kernel/seccomp/actions_logged lists the action\n";
  }
  if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGABRT && sig != SIGFPE &&
      sig != SIGTRAP)
    return "";
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  if (elapsed > kEarlyDeath || request_.seccomp_filter.empty()) return "";
  const std::vector<uint32_t> arches = target_arches(policy);
  if (arches.empty()) return "";
  const size_t allowed = allowed_syscalls(request_.seccomp_filter, arches.front());
  if (allowed >= kFewSyscalls) return "";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
  return std::string("policyrun: the container died of SIG") + signal_name(sig) + " " +
         std::to_string(ms) + " ms after the launch began, and the seccomp filter of policy " +
         policy.name + (policy.loc.known() ? " (" + policy.loc.str() + ")" : std::string()) +
         " allows only " + std::to_string(allowed) + " syscalls on " +
         names::arch_name(arches.front()) +
         ": most programs need dozens just to start (execve, brk, mmap, openat, read, ...), and "
         "a C library that is refused one of those often crashes; allow the calls the program "
         "makes "
         "(`strace -f -c` lists them)\n";
}

void Watch::report(int exit_code) {
  if (exit_code <= 128 || exit_code >= 128 + 65) return;
  const std::string text = explain(exit_code - 128);
  if (!text.empty() && ::write(request_.diagnostics_fd, text.data(), text.size()) < 0) {
  }
}

}  // namespace policy::launch::exit_report
