#include "compiler/driver/explain.hpp"

#include <linux/seccomp.h>

#include "compiler/common/names.hpp"

namespace policy::driver {

CallExplanation explain_call(const ir::Policy& policy, const SeccompOptions& options,
                             const std::string& syscall, std::optional<uint32_t> arch,
                             const std::vector<uint64_t>& args) {
  CallExplanation out;
  out.arch = arch                            ? *arch
             : policy.seccomp.arches.empty() ? names::native_arch()
                                             : policy.seccomp.arches[0];
  out.nr = names::syscall_number(syscall, out.arch);
  if (!out.nr) return out;
  seccomp::Program prog = compile_seccomp(policy.seccomp, options);
  out.instructions = prog.size();
  seccomp_data data{};
  data.nr = *out.nr;
  data.arch = seccomp::audit_arch(out.arch);
  for (size_t i = 0; i < args.size() && i < 6; ++i) data.args[i] = args[i];
  out.run = seccomp::run_filter_traced(prog, data);
  for (const ir::SyscallRule& rule : policy.seccomp.rules)
    if (rule.syscall == syscall && seccomp::ret_of(rule.action) == out.run.ret)
      out.rules.push_back(&rule);
  out.default_applies =
      out.rules.empty() && seccomp::ret_of(policy.seccomp.default_action) == out.run.ret;
  for (const ir::SyscallRule& rule : policy.seccomp.inactive_rules)
    if (rule.syscall == syscall) out.inactive_rules.push_back(&rule);
  out.removal = policy.removal("syscalls", syscall);
  return out;
}

}  // namespace policy::driver
