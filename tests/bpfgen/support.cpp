#include "support.hpp"

#include <linux/audit.h>
#include <seccomp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "compiler/common/diagnostics.hpp"
#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace policy::bpfgen::testing {

std::string source_dir() {
  const char* s = std::getenv("POLICY_SOURCE_DIR");
  return s ? s : ".";
}

std::vector<std::string> shipped_policy_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/policies"))
    if (e.is_regular_file() && e.path().extension() == ".pol") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

ir::SeccompPolicy load_seccomp(const std::string& pol_file, std::vector<uint32_t> arches) {
  DiagnosticEngine diags;
  frontend::LoadOptions opts;
  opts.include_dirs = {source_dir() + "/policies"};
  opts.arches = std::move(arches);
  auto p = frontend::load_policy_file(pol_file, opts, diags);
  if (!p) {
    std::ostringstream os;
    diags.print_all(os);
    throw Error("cannot load " + pol_file + ":\n" + os.str());
  }
  return p->seccomp;
}

namespace {

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* s = std::getenv(name);
  return s && *s ? std::strtoull(s, nullptr, 0) : fallback;
}

}  // namespace

size_t property_draws() {
  return static_cast<size_t>(env_number("POLICY_PROPERTY_DRAWS", 509));
}

uint64_t property_seed() {
  return env_number("POLICY_PROPERTY_SEED", 20261127);
}

uint32_t arch(const char* name) {
  return *names::arch_token(name);
}

namespace {

template <class T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

bool chance(std::mt19937_64& rng, double p) {
  return std::bernoulli_distribution(p)(rng);
}

ir::Action random_action(std::mt19937_64& rng) {
  switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
    case 0:
      return {ir::ActionKind::KillProcess, 0};
    case 1:
      return {ir::ActionKind::KillThread, 0};
    case 2:
      return {ir::ActionKind::Trap, 0};
    case 3:
      return {ir::ActionKind::Log, 0};
    case 4:
      return {ir::ActionKind::Trace, std::uniform_int_distribution<uint32_t>(0, 0xffff)(rng)};
    case 5:
    case 6:
      return {ir::ActionKind::Errno, std::uniform_int_distribution<uint32_t>(1, 4095)(rng)};
    default:
      return {ir::ActionKind::Allow, 0};
  }
}

uint64_t random_value(std::mt19937_64& rng) {
  static const std::vector<uint64_t> edges = {0,
                                              1,
                                              2,
                                              3,
                                              8,
                                              0x7f,
                                              0x80000000ULL,
                                              0xfffffffeULL,
                                              0xffffffffULL,
                                              0x100000000ULL,
                                              0x100000001ULL,
                                              0xffffffff00000000ULL,
                                              ~0ULL,
                                              ~0ULL - 1};
  switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
    case 0:
      return pick(rng, edges);
    case 1:
      return std::uniform_int_distribution<uint64_t>(0, 20)(rng);
    case 2:
      return std::uniform_int_distribution<uint64_t>(0, 0xffffffffULL)(rng);
    case 3:
      return rng();
    default:
      return std::uniform_int_distribution<uint64_t>(0, 1000)(rng) << 32;
  }
}

ir::Comparison random_comparison(std::mt19937_64& rng, unsigned arg) {
  ir::Comparison c;
  c.arg = arg;
  c.arg_name = "arg" + std::to_string(arg);
  c.op = static_cast<ir::CmpOp>(std::uniform_int_distribution<int>(0, 6)(rng));
  c.value = random_value(rng);
  if (c.op == ir::CmpOp::MaskedEq) {
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0:
        c.mask = 1ULL << std::uniform_int_distribution<int>(0, 63)(rng);
        break;
      case 1:
        c.mask = std::uniform_int_distribution<uint64_t>(0, 0xffffffffULL)(rng);
        break;
      case 2:
        c.mask = rng();
        break;
      default:
        c.mask = 0x7e020000ULL;
        break;
    }
    if (chance(rng, 0.8)) c.value &= c.mask;
    if (chance(rng, 0.3)) c.value = chance(rng, 0.5) ? 0 : c.mask;
  }
  if (chance(rng, 0.15)) {
    c.width = ir::ArgWidth::Bits32;
    if (chance(rng, 0.95)) c.op = chance(rng, 0.5) ? ir::CmpOp::Eq : ir::CmpOp::MaskedEq;
  }
  return c;
}

ir::Condition random_condition(std::mt19937_64& rng) {
  ir::Condition cond;
  const int conjs = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int i = 0; i < conjs; ++i) {
    ir::Conjunction conj;
    std::vector<unsigned> args = {0, 1, 2, 3, 4, 5};
    std::shuffle(args.begin(), args.end(), rng);
    const int n = std::uniform_int_distribution<int>(1, 2)(rng);
    for (int k = 0; k < n; ++k)
      conj.push_back(random_comparison(rng, args[static_cast<size_t>(k)]));
    cond.push_back(std::move(conj));
  }
  return cond;
}

}  // namespace

ir::SeccompPolicy random_policy(std::mt19937_64& rng) {
  static const std::vector<uint32_t> pool = {arch("x86_64"), arch("x86"), arch("x32"),
                                             arch("aarch64"), arch("arm")};
  ir::SeccompPolicy p;
  p.target_kernel = ir::KernelVersion{5, 10};
  std::vector<uint32_t> a = pool;
  std::shuffle(a.begin(), a.end(), rng);
  a.resize(std::uniform_int_distribution<size_t>(1, 3)(rng));
  p.arches = a;
  p.default_action = chance(rng, 0.7) ? ir::Action{ir::ActionKind::Errno, 1} : random_action(rng);
  if (chance(rng, 0.2)) p.bad_arch_action = random_action(rng);
  const auto& all = names::all_syscall_names();
  const int n = std::uniform_int_distribution<int>(1, 40)(rng);
  std::set<std::string> used;
  for (int i = 0; i < n; ++i) {
    const std::string& name = pick(rng, all);
    if (!used.insert(name).second) continue;
    auto rule = [&](ir::Action act, ir::Condition cond) {
      ir::SyscallRule r;
      r.syscall = name;
      r.action = act;
      r.args = std::move(cond);
      if (chance(rng, 0.1)) r.arches = {pick(rng, a)};
      if (chance(rng, 0.05)) r.not_arches = {pick(rng, a)};
      if (chance(rng, 0.05)) r.min_kernel = ir::KernelVersion{chance(rng, 0.5) ? 4u : 6u, 8};
      p.rules.push_back(std::move(r));
    };
    const ir::Action main = chance(rng, 0.6) ? ir::Action{} : random_action(rng);
    const int shape = std::uniform_int_distribution<int>(0, 9)(rng);
    if (shape < 6) {
      rule(main, {});
    } else {
      const int conds = std::uniform_int_distribution<int>(1, 3)(rng);
      for (int k = 0; k < conds; ++k)
        rule(chance(rng, 0.85) ? main : random_action(rng), random_condition(rng));
      if (shape == 9) rule(main, {});
    }
  }
  return p;
}

namespace {

std::string hex(uint64_t v) {
  std::ostringstream os;
  os << "0x" << std::hex << v;
  return os.str();
}

}  // namespace

std::optional<std::string> compare_programs(const seccomp::Program& a, const seccomp::Program& b,
                                            const ir::SeccompPolicy& policy) {
  std::vector<uint32_t> arches = policy.arches;
  if (arches.empty()) arches = names::default_target_arches();
  const std::vector<uint64_t> constants = seccomp::policy_constants(policy);
  const std::vector<uint64_t> probes = seccomp::probe_values(constants);
  // A smaller set for pairs of arguments: the constants themselves and their neighbours.
  std::vector<uint64_t> pair_probes = {0, ~0ULL};
  for (uint64_t c : constants)
    for (uint64_t v : {c, c + 1, c - 1, c & uint64_t{0xffffffff}, c >> 32 << 32})
      pair_probes.push_back(v);
  std::sort(pair_probes.begin(), pair_probes.end());
  pair_probes.erase(std::unique(pair_probes.begin(), pair_probes.end()), pair_probes.end());
  if (pair_probes.size() > 40) pair_probes.resize(40);

  std::set<uint32_t> audits;
  for (uint32_t t : arches) audits.insert(seccomp::audit_arch(t));
  std::vector<uint32_t> arch_values(audits.begin(), audits.end());
  for (uint32_t foreign :
       {static_cast<uint32_t>(AUDIT_ARCH_X86_64), static_cast<uint32_t>(AUDIT_ARCH_I386),
        static_cast<uint32_t>(AUDIT_ARCH_AARCH64), static_cast<uint32_t>(AUDIT_ARCH_ARM),
        0x12345678U, 0U})
    if (!audits.count(foreign)) {
      arch_values.push_back(foreign);
      break;  // one foreign value is enough: they all reach the same bad-arch return
    }

  static const int max_nr = [] {
    int m = 0;
    for (uint32_t t : {arch("x86_64"), arch("x86"), arch("aarch64"), arch("arm")})
      for (int n : names::arch_syscall_numbers(t))
        if (n < 0x100000) m = std::max(m, n);
    return m;
  }();
  std::vector<uint32_t> numbers;
  for (int n = 0; n <= max_nr + 64; ++n) numbers.push_back(static_cast<uint32_t>(n));
  for (int n = 0; n <= 1100; ++n) numbers.push_back(0x40000000U + static_cast<uint32_t>(n));
  for (uint32_t n = 0xf0000; n < 0xf0010; ++n) numbers.push_back(n);
  for (uint32_t n : {0x3fffffffU, 0x7fffffffU, 0x80000000U, 0xbfffffffU, 0xc0000000U, 0xfffffffeU,
                     0xffffffffU, 0x0fffffffU})
    numbers.push_back(n);

  auto verdict = [&](const seccomp::Program& p, const struct seccomp_data& d) {
    return seccomp::run_filter_unchecked(p, d);
  };
  auto explain = [&](const struct seccomp_data& d, uint32_t ra, uint32_t rb) {
    std::ostringstream os;
    os << "arch " << hex(d.arch) << " nr " << hex(static_cast<uint32_t>(d.nr)) << " args=[";
    for (int i = 0; i < 6; ++i) os << (i ? "," : "") << hex(d.args[i]);
    os << "]: bpfgen gives " << seccomp::describe(ra) << ", libseccomp " << seccomp::describe(rb);
    return os.str();
  };
  for (uint32_t av : arch_values) {
    for (uint32_t nr : numbers) {
      struct seccomp_data d {};
      d.arch = av;
      d.nr = static_cast<int>(nr);
      auto ra = verdict(a, d), rb = verdict(b, d);
      if (ra.ret != rb.ret) return explain(d, ra.ret, rb.ret);
      uint16_t read = ra.words_read | rb.words_read;
      if ((read & 0xfff0) == 0) continue;
      // Sweep each argument read; arguments only read on some of those paths join the sweep.
      std::vector<int> args;
      for (int round = 0; round < 3; ++round) {
        std::vector<int> fresh;
        for (int i = 0; i < 6; ++i)
          if ((read & (0x3 << (4 + 2 * i))) && std::find(args.begin(), args.end(), i) == args.end())
            fresh.push_back(i);
        if (fresh.empty()) break;
        for (int i : fresh) {
          args.push_back(i);
          for (uint64_t v : probes) {
            struct seccomp_data e = d;
            e.args[i] = v;
            auto xa = verdict(a, e), xb = verdict(b, e);
            if (xa.ret != xb.ret) return explain(e, xa.ret, xb.ret);
            read |= xa.words_read | xb.words_read;
          }
        }
      }
      for (size_t x = 0; x < args.size(); ++x)
        for (size_t y = x + 1; y < args.size(); ++y)
          for (uint64_t v : pair_probes)
            for (uint64_t w : pair_probes) {
              struct seccomp_data e = d;
              e.args[args[x]] = v;
              e.args[args[y]] = w;
              auto xa = verdict(a, e).ret, xb = verdict(b, e).ret;
              if (xa != xb) return explain(e, xa, xb);
            }
    }
  }
  return std::nullopt;
}

std::optional<std::string> first_difference_from_decide(const seccomp::Program& prog,
                                                        const ir::SeccompPolicy& policy,
                                                        std::mt19937_64& rng) {
  const ir::KernelVersion kernel = *policy.target_kernel;
  const std::vector<uint64_t> values = seccomp::probe_values(seccomp::policy_constants(policy));
  auto check = [&](uint32_t arch_token, uint32_t audit, uint32_t nr, const seccomp::Args& args,
                   uint32_t want) -> std::optional<std::string> {
    struct seccomp_data d {};
    d.arch = audit;
    d.nr = static_cast<int>(nr);
    for (size_t i = 0; i < 6; ++i) d.args[i] = args[i];
    const uint32_t got = seccomp::run_filter_unchecked(prog, d).ret;
    if (got == want) return std::nullopt;
    std::ostringstream os;
    os << names::arch_name(arch_token) << " nr " << hex(nr) << " args=[";
    for (size_t i = 0; i < 6; ++i) os << (i ? "," : "") << hex(args[i]);
    os << "]: the program gives " << seccomp::describe(got) << ", the policy says "
       << seccomp::describe(want);
    return os.str();
  };
  std::set<uint32_t> audits;
  for (uint32_t t : policy.arches) {
    const uint32_t audit = seccomp::audit_arch(t);
    audits.insert(audit);
    std::set<uint32_t> numbers;
    std::vector<unsigned> compared;  // arguments some rule compares
    for (const ir::SyscallRule& r : policy.rules) {
      if (auto nr = names::syscall_number(r.syscall, t); nr && *nr >= 0)
        numbers.insert(static_cast<uint32_t>(*nr));
      for (const ir::Conjunction& conj : r.args)
        for (const ir::Comparison& c : conj)
          if (std::find(compared.begin(), compared.end(), c.arg) == compared.end())
            compared.push_back(c.arg);
    }
    const uint32_t base = t == arch("x32") ? 0x40000000U : 0;
    const auto highest = static_cast<uint32_t>(names::highest_syscall_number(t) & 0x3fffffff);
    for (int k = 0; k < 24; ++k)
      numbers.insert(base + std::uniform_int_distribution<uint32_t>(0, highest + 64)(rng));
    for (uint32_t nr : numbers) {
      auto want = [&](const seccomp::Args& args) {
        return seccomp::ret_of(seccomp::decide(policy, t, nr, args, kernel));
      };
      seccomp::Args zero{};
      if (auto d = check(t, audit, nr, zero, want(zero))) return d;
      for (unsigned a : compared)
        for (uint64_t v : values) {
          seccomp::Args args{};
          args[a] = v;
          if (auto d = check(t, audit, nr, args, want(args))) return d;
        }
      if (compared.empty()) continue;
      for (int k = 0; k < 64; ++k) {
        seccomp::Args args{};
        for (unsigned a : compared) args[a] = pick(rng, values);
        if (auto d = check(t, audit, nr, args, want(args))) return d;
      }
    }
  }
  const ir::Action bad =
      policy.bad_arch_action ? *policy.bad_arch_action : ir::Action{ir::ActionKind::KillThread, 0};
  for (uint32_t foreign : {static_cast<uint32_t>(AUDIT_ARCH_X86_64),
                           static_cast<uint32_t>(AUDIT_ARCH_AARCH64), 0x12345678U})
    if (!audits.count(foreign)) return check(arch("x86_64"), foreign, 39, {}, seccomp::ret_of(bad));
  return std::nullopt;
}

}  // namespace policy::bpfgen::testing
