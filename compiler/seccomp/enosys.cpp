#include "compiler/seccomp/enosys.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <map>
#include <mutex>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::seccomp {

namespace {

constexpr uint32_t kX32Bit = 0x40000000U;  // __X32_SYSCALL_BIT
// A run of unknown numbers longer than this ends an arch's syscall table (x86_64's longest gap
// inside the table, 335..423, is 89 numbers; arm's private calls begin ~980000 numbers later).
constexpr int kTableGap = 4096;

}  // namespace

bool enosys_for_unknown_syscalls(const ir::Action& default_action) {
  switch (default_action.kind) {
    case ir::ActionKind::Allow:
    case ir::ActionKind::Log:
    case ir::ActionKind::Trace:
      return false;
    default:
      return true;
  }
}

std::vector<NumberSpan> unknown_syscall_spans(uint32_t arch) {
  static std::mutex lock;
  static std::map<uint32_t, std::vector<NumberSpan>> cache;
  std::lock_guard<std::mutex> guard(lock);
  auto [it, fresh] = cache.try_emplace(arch);
  if (!fresh) return it->second;
  const std::vector<int> known = names::arch_syscall_numbers(arch);
  if (known.empty()) return it->second;
  size_t end = 0;  // index of the table's last number
  while (end + 1 < known.size() && known[end + 1] - known[end] <= kTableGap) ++end;
  const uint64_t last = arch == SCMP_ARCH_X86_64 ? kX32Bit - 1 : 0xfffffffeU;
  uint64_t from = static_cast<uint64_t>(known[end]) + 1;
  for (size_t i = end + 1; i <= known.size() && from <= last; ++i) {
    const uint64_t next = i < known.size() ? static_cast<uint64_t>(known[i]) : last + 1;
    if (next > from)
      it->second.push_back(
          NumberSpan{static_cast<uint32_t>(from), static_cast<uint32_t>(std::min(next - 1, last))});
    from = next + 1;
  }
  return it->second;
}

bool is_unknown_syscall_number(uint32_t arch, uint32_t nr) {
  for (const NumberSpan& s : unknown_syscall_spans(arch))
    if (nr >= s.lo && nr <= s.hi) return true;
  return false;
}

ir::Action enosys_action() {
  return ir::Action{ir::ActionKind::Errno, ENOSYS};
}

Program with_enosys_stub(const Program& prog, const std::vector<uint32_t>& arches) {
  // The spans to answer, grouped by the arch value the kernel reports (x86_64 and x32 share one).
  struct Group {
    uint32_t audit_arch;
    std::vector<NumberSpan> spans;
  };
  std::vector<Group> groups;
  for (uint32_t arch : arches) {
    const std::vector<NumberSpan> spans = unknown_syscall_spans(arch);
    if (spans.empty()) continue;
    const uint32_t value = audit_arch(arch);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& g) { return g.audit_arch == value; });
    if (it == groups.end()) it = groups.insert(groups.end(), Group{value, {}});
    for (const NumberSpan& span : spans)
      if (std::none_of(it->spans.begin(), it->spans.end(),
                       [&](const NumberSpan& s) { return s.lo == span.lo; }))
        it->spans.push_back(span);
  }
  if (groups.empty()) return prog;

  // Layout: ld arch; one jeq per group; ja filter; per group: ld nr, then per span
  // "jge lo" (else: next span) and "jgt hi" (then: next span, else: ENOSYS); ret ENOSYS; filter.
  size_t size = 1 + groups.size() + 1;
  std::vector<size_t> section_at;
  for (const Group& g : groups) {
    section_at.push_back(size);
    size += 1 + 2 * g.spans.size();
  }
  const size_t enosys_at = size, filter_at = size + 1;
  Program stub;
  stub.reserve(filter_at + prog.size());
  auto offset = [&](size_t target) {
    const size_t from = stub.size() + 1;
    if (target < from || target - from > 255)
      throw Error("internal error: the ENOSYS stub's jump from " + std::to_string(from - 1) +
                  " to " + std::to_string(target) + " does not fit");
    return static_cast<uint8_t>(target - from);
  };
  auto jump = [&](uint16_t op, uint32_t k, size_t jt, size_t jf) {
    const uint8_t t = offset(jt), f = offset(jf);
    stub.push_back(BPF_JUMP(BPF_JMP | op | BPF_K, k, t, f));
  };
  stub.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  for (size_t i = 0; i < groups.size(); ++i)
    jump(BPF_JEQ, groups[i].audit_arch, section_at[i], stub.size() + 1);
  stub.push_back(BPF_STMT(BPF_JMP | BPF_JA, static_cast<uint32_t>(filter_at - stub.size() - 1)));
  for (const Group& g : groups) {
    stub.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
    for (size_t s = 0; s < g.spans.size(); ++s) {
      const size_t next = s + 1 < g.spans.size() ? stub.size() + 2 : filter_at;
      jump(BPF_JGE, g.spans[s].lo, stub.size() + 1, next);
      jump(BPF_JGT, g.spans[s].hi, next, enosys_at);
    }
  }
  stub.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  stub.insert(stub.end(), prog.begin(), prog.end());
  return stub;
}

}  // namespace policy::seccomp
