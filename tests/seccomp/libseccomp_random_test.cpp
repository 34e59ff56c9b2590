// Random policies: whatever compile_with_libseccomp accepts must decide exactly as the IR says.
// Fixed seeds, so a failure reproduces; the policies stay small so the whole sweep is quick.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>

#include "compiler/seccomp/interpreter.hpp"

#include "compiler/common/error.hpp"
#include "compiler/seccomp/disassemble.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"
#include "seccomp/seccomp_test_support.hpp"

using namespace policy;
using namespace policy::seccomp;
using namespace seccomp_test;

namespace {

const ir::KernelVersion kKernel{6, 1};

ir::SeccompPolicy random_policy(std::mt19937_64& rng, const std::vector<uint32_t>& arches) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const char* syscalls[] = {"personality", "mmap", "kill", "setuid", "prctl"};
  const ir::Action actions[] = {allow(), err(EPERM), err(EACCES), kill_process(), trap()};
  const uint64_t values[] = {0, 1, 2, 8, 0x7fffffff, 0xffffffff, 0x100000000ULL, ~0ULL, 40};
  const ir::CmpOp ops[] = {ir::CmpOp::Eq, ir::CmpOp::Ne, ir::CmpOp::Lt,      ir::CmpOp::Le,
                           ir::CmpOp::Gt, ir::CmpOp::Ge, ir::CmpOp::MaskedEq};
  ir::SeccompPolicy p = policy_for(actions[pick(3)], {}, arches);
  // Mostly one action per syscall (else most policies overlap and are refused).
  ir::Action usual[5];
  for (ir::Action& a : usual) a = actions[pick(5)];
  const size_t n = 1 + pick(5);
  for (size_t i = 0; i < n; ++i) {
    const size_t sc = pick(4);
    ir::SyscallRule r = rule(syscalls[sc], pick(4) == 0 ? actions[pick(5)] : usual[sc]);
    if (pick(4) != 0) {
      const size_t conjs = 1 + pick(2);
      for (size_t c = 0; c < conjs; ++c) {
        ir::Conjunction conj;
        const size_t cmps = 1 + pick(2);
        for (size_t k = 0; k < cmps; ++k) {
          ir::Comparison cm = cmp(static_cast<unsigned>(pick(3)), ops[pick(7)], values[pick(9)]);
          if (cm.op == ir::CmpOp::MaskedEq) {
            cm.mask = values[pick(9)] | 0xff;
            cm.value &= cm.mask;
          }
          if (pick(4) == 0) cm.width = ir::ArgWidth::Bits32;
          conj.push_back(cm);
        }
        r.args.push_back(conj);
      }
    }
    p.rules.push_back(r);
  }
  return p;
}

std::string text_of(const ir::SeccompPolicy& p) {
  const char* ops[] = {"==", "!=", "<", "<=", ">", ">=", "&"};
  std::string out = "default " + describe(p.default_action) + "\n";
  for (const ir::SyscallRule& r : p.rules) {
    out += describe(r.action) + " " + r.syscall;
    for (size_t i = 0; i < r.args.size(); ++i) {
      out += i ? " or (" : " (";
      for (size_t k = 0; k < r.args[i].size(); ++k) {
        const ir::Comparison& c = r.args[i][k];
        char buf[128];
        snprintf(buf, sizeof buf, "%s%s%s%u %s 0x%llx", k ? " and " : "",
                 c.width == ir::ArgWidth::Bits32 ? "u32 " : "", "arg", c.arg,
                 ops[static_cast<int>(c.op)], static_cast<unsigned long long>(c.value));
        out += buf;
        if (c.op == ir::CmpOp::MaskedEq) {
          snprintf(buf, sizeof buf, " mask 0x%llx", static_cast<unsigned long long>(c.mask));
          out += buf;
        }
      }
      out += ")";
    }
    out += "\n";
  }
  return out;
}

void sweep(uint64_t seed, const std::vector<uint32_t>& arches, int count) {
  std::mt19937_64 rng(seed);
  int exact = 0, refused = 0, miscompiled = 0;
  for (int i = 0; i < count; ++i) {
    ir::SeccompPolicy p = random_policy(rng, arches);
    const bool tree = (i & 1) != 0;
    Program prog;
    try {
      prog = compile_with_libseccomp(p, {tree, kKernel, true, /*verify=*/false});
    } catch (const Error& e) {
      ++refused;
      continue;
    }
    auto diff = first_difference_from_policy(prog, p, kKernel);
    if (!diff) {
      ++exact;
      continue;
    }
    // libseccomp got it wrong: the verifying build must refuse it, naming the difference.
    ++miscompiled;
    try {
      compile_with_libseccomp(p, {tree, kKernel, true, /*verify=*/true});
      ADD_FAILURE() << "seed " << seed << " policy " << i << ": " << *diff << "\n"
                    << text_of(p) << disassemble(prog);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("does not decide as the policy says"), std::string::npos)
          << e.what();
    }
  }
  // Every outcome must be frequent enough for the sweep to mean something.
  EXPECT_GT(exact, count / 5);
  EXPECT_GT(refused, 0);
  std::printf("seed %llu: %d exact, %d refused before building, %d miscompiled by libseccomp\n",
              static_cast<unsigned long long>(seed), exact, refused, miscompiled);
}

}  // namespace

TEST(LibseccompRandom, X86_64) {
  sweep(1, {arch("x86_64")}, 300);
}
TEST(LibseccompRandom, X86AndX32) {
  sweep(2, {arch("x86"), arch("x32")}, 150);
}
