// The generator's recipe: model -> argument checks -> number search per architecture -> arch
// check -> layout.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cstddef>
#include <map>

#include "compiler/bpfgen/args.hpp"
#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/bpfgen/dispatch.hpp"
#include "compiler/bpfgen/graph.hpp"
#include "compiler/bpfgen/model.hpp"
#include "compiler/seccomp/enosys.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::bpfgen {

namespace {

constexpr uint32_t kX32Bit = 0x40000000U;  // __X32_SYSCALL_BIT (asm/unistd_x32.h is not uapi)
constexpr double kDeniedWeight = 0.02;     // a denied call still costs something, just rarely
// An allowed x32 call against a native one. x32 shares x86_64's search tree, and at weight 1 the
// split at __X32_SYSCALL_BIT sits near the root, costing every native call a test; real x32
// traffic is about nil (distribution kernels leave it off) and the kernel never caches x32 calls.
// 0.1 puts the x32 subtree at the end of a short right spine (docs/bpfgen.md has the trade-off).
constexpr double kX32Weight = 0.1;
// How much the workload frequencies weigh against a uniform mix of the allowed calls (1 = equal).
// The built-in table is a guess at the workload, so it only nudges the search (the statistic the
// targets are judged on is the uniform mean; 0.5 cost it 0.22); a table the user measured on the
// real workload (--frequencies) is what they want optimised and weighs as before.
constexpr double kBuiltinFreqShare = 0.1;
constexpr double kUserFreqShare = 0.5;
constexpr double kSizeCost = 0.5;  // one instruction, in allowed-call units

struct Group {
  uint32_t audit_arch;
  std::vector<const ArchModel*> members;
};

struct Segment {
  uint32_t lo, hi;  // inclusive
  NodeId base;      // the outcome of the numbers in it that no rule names
};

// `segments` (in order, covering the number space) with [span.lo, span.hi] given to `node`.
std::vector<Segment> carve(const std::vector<Segment>& segments, seccomp::NumberSpan span,
                           NodeId node) {
  std::vector<Segment> out;
  for (const Segment& s : segments) {
    if (s.hi < span.lo || s.lo > span.hi) {
      out.push_back(s);
      continue;
    }
    if (s.lo < span.lo) out.push_back({s.lo, span.lo - 1, s.base});
    out.push_back({std::max(s.lo, span.lo), std::min(s.hi, span.hi), node});
    if (s.hi > span.hi) out.push_back({span.hi + 1, s.hi, s.base});
  }
  return out;
}

}  // namespace

seccomp::Program generate(const ir::SeccompPolicy& policy, const Options& options) {
  const PolicyModel model = build_model(policy, options.kernel);
  FrequencyTable builtin;
  const FrequencyTable* freq = options.frequencies;
  if (!freq) {
    builtin = builtin_frequencies();
    freq = &builtin;
  }
  const double total_calls = freq->total();
  const double freq_share = options.frequencies ? kUserFreqShare : kBuiltinFreqShare;

  Graph g;
  const NodeId bad_arch = g.ret(model.bad_arch_ret);
  const NodeId deflt = g.ret(model.default_ret);
  const bool enosys_unknown = seccomp::enosys_for_unknown_syscalls(model.default_action);
  const NodeId enosys = g.ret(seccomp::ret_of(seccomp::enosys_action()));

  std::vector<Group> groups;
  for (const ArchModel& a : model.arches) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const Group& x) { return x.audit_arch == a.audit_arch; });
    if (it == groups.end())
      groups.push_back(Group{a.audit_arch, {&a}});
    else
      it->members.push_back(&a);
  }

  size_t native_allowed = 0;
  if (!model.arches.empty())
    for (const auto& [nr, d] : model.arches.front().syscalls) native_allowed += d.allows() ? 1 : 0;

  std::vector<NodeId> trees;
  for (const Group& group : groups) {
    struct Entry {
      NodeId leaf;
      double weight;
    };
    std::map<uint32_t, Entry> entries;
    bool has_x86_64 = false, has_x32 = false;
    for (const ArchModel* a : group.members) {
      has_x86_64 |= a->token == SCMP_ARCH_X86_64;
      has_x32 |= a->token == SCMP_ARCH_X32;
      const bool native = a == &model.arches.front();
      for (const auto& [nr, d] : a->syscalls) {
        double w = kDeniedWeight;
        if (d.allows()) {
          w = a->token == SCMP_ARCH_X32 && !native ? kX32Weight : 1.0;
          auto f = freq->calls.find(d.name);
          if (native && f != freq->calls.end() && total_calls > 0)
            w += freq_share * static_cast<double>(native_allowed) * f->second / total_calls;
        }
        entries[nr] = Entry{build_decision(g, d, *a), w};
      }
    }
    // The number space of this arch value: on x86_64, x32 calls carry __X32_SYSCALL_BIT and must
    // never reach the x86_64 table (nor x86_64 numbers the x32 one); nr -1 gets the default, as in
    // libseccomp's filters.
    std::vector<Segment> segments;
    if (has_x86_64 || has_x32) {
      segments.push_back({0, kX32Bit - 1, has_x86_64 ? deflt : bad_arch});
      segments.push_back({kX32Bit, 0xfffffffeU, has_x32 ? deflt : bad_arch});
      segments.push_back({0xffffffffU, 0xffffffffU, deflt});
    } else {
      segments.push_back({0, 0xffffffffU, deflt});
    }
    // Numbers above libseccomp's table of each member arch: ENOSYS (docs/bpfgen.md). No rule
    // names them (every rule's syscall is in the table), so they only split a default segment.
    if (enosys_unknown)
      for (const ArchModel* a : group.members)
        for (const seccomp::NumberSpan& span : seccomp::unknown_syscall_spans(a->token))
          segments = carve(segments, span, enosys);
    std::vector<NumberRange> ranges;
    for (const Segment& s : segments) {
      uint64_t at = s.lo;
      for (auto it = entries.lower_bound(s.lo); it != entries.end() && it->first <= s.hi; ++it) {
        if (it->first > at) ranges.push_back({static_cast<uint32_t>(at), it->first - 1, s.base, 0});
        ranges.push_back({it->first, it->first, it->second.leaf, it->second.weight});
        at = static_cast<uint64_t>(it->first) + 1;
      }
      if (at <= s.hi) ranges.push_back({static_cast<uint32_t>(at), s.hi, s.base, 0});
    }
    trees.push_back(
        g.load(offsetof(struct seccomp_data, nr), build_search(g, std::move(ranges), kSizeCost)));
  }

  // The architecture check comes first, native first; anything else is a bad arch.
  NodeId node = bad_arch;
  for (size_t i = groups.size(); i-- > 0;)
    node = g.jump(BPF_JEQ, groups[i].audit_arch, trees[i], node);
  const NodeId root = g.load(offsetof(struct seccomp_data, arch), node);
  return emit(g, root);
}

}  // namespace policy::bpfgen
