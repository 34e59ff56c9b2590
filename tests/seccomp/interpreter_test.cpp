#include "compiler/seccomp/interpreter.hpp"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "compiler/common/error.hpp"
#include "compiler/seccomp/equivalence.hpp"
#include "seccomp/seccomp_test_support.hpp"

using namespace policy;
using namespace policy::seccomp;
using namespace seccomp_test;

namespace {

sock_filter S(uint16_t code, uint32_t k) {
  return sock_filter{code, 0, 0, k};
}
sock_filter J(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return sock_filter{code, jt, jf, k};
}

struct seccomp_data data_of(int nr, uint64_t arg0 = 0, uint64_t arg1 = 0) {
  struct seccomp_data d {};
  d.nr = nr;
  d.arch = AUDIT_ARCH_X86_64;
  d.args[0] = arg0;
  d.args[1] = arg1;
  return d;
}

}  // namespace

TEST(Interpreter, LoadsCompareAndReturn) {
  // if arch != x86_64 kill; if nr == 39 errno(EPERM) else allow
  Program p = {S(BPF_LD | BPF_W | BPF_ABS, 4),
               J(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
               S(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
               S(BPF_LD | BPF_W | BPF_ABS, 0),
               J(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
               S(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
               S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_EQ(run_filter(p, data_of(39)), SECCOMP_RET_ERRNO | 1u);
  EXPECT_EQ(run_filter(p, data_of(40)), SECCOMP_RET_ALLOW);
  struct seccomp_data other = data_of(39);
  other.arch = AUDIT_ARCH_I386;
  EXPECT_EQ(run_filter(p, other), SECCOMP_RET_KILL_PROCESS);
  RunResult r = run_filter_traced(p, data_of(40));
  EXPECT_EQ(r.executed, 5u);  // ld, jeq, ld, jeq, ret
  EXPECT_EQ(r.words_read, 0b11);
  EXPECT_FALSE(r.read_args());
}

TEST(Interpreter, AluScratchMemoryAndXRegister) {
  // A = args[0].lo; A = ((A + 3) * 4 - 2) / 2 ^ 1 | 0x100 & 0xfff << 1 >> 1; M[3] = A; X = M[3]
  // A = -A; A = X; jeq x -> allow
  Program p = {S(BPF_LD | BPF_W | BPF_ABS, 16),
               S(BPF_ALU | BPF_ADD | BPF_K, 3),
               S(BPF_ALU | BPF_MUL | BPF_K, 4),
               S(BPF_ALU | BPF_SUB | BPF_K, 2),
               S(BPF_ALU | BPF_DIV | BPF_K, 2),
               S(BPF_ALU | BPF_XOR | BPF_K, 1),
               S(BPF_ALU | BPF_OR | BPF_K, 0x100),
               S(BPF_ALU | BPF_AND | BPF_K, 0xfff),
               S(BPF_ALU | BPF_LSH | BPF_K, 1),
               S(BPF_ALU | BPF_RSH | BPF_K, 1),
               S(BPF_ST, 3),
               S(BPF_LDX | BPF_MEM, 3),
               S(BPF_ALU | BPF_NEG, 0),
               S(BPF_ALU | BPF_ADD | BPF_X, 0),  // -A + X == 0
               J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
               S(BPF_MISC | BPF_TXA, 0),
               S(BPF_RET | BPF_A, 0)};
  // arg0 = 5: ((8*4-2)/2) = 15 ^ 1 = 14 | 0x100 = 0x10e & 0xfff = 0x10e
  EXPECT_EQ(run_filter(p, data_of(0, 5)), 0x10eu);
  // X-register forms, JGT/JGE/JSET, LD IMM, LDX IMM, TAX, STX, LEN loads.
  Program q = {S(BPF_LDX | BPF_IMM, 7),
               S(BPF_LD | BPF_IMM, 9),
               J(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 8),
               S(BPF_ALU | BPF_SUB | BPF_X, 0),
               J(BPF_JMP | BPF_JGE | BPF_K, 2, 0, 6),
               S(BPF_MISC | BPF_TAX, 0),
               S(BPF_STX, 0),
               S(BPF_LD | BPF_W | BPF_LEN, 0),
               J(BPF_JMP | BPF_JSET | BPF_X, 0, 1, 2),
               S(BPF_RET | BPF_K, 1),
               S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
               S(BPF_RET | BPF_K, 2)};
  // X = 7, A = 9 > 7, A = 2 >= 2, X = 2, M[0] = 2, A = 64, 64 & 2 == 0 -> index 11? no: jf=2 -> 11
  EXPECT_EQ(run_filter(q, data_of(0)), 2u);
}

TEST(Interpreter, DivisionByZeroRegisterReturnsKillThread) {
  Program p = {S(BPF_LDX | BPF_IMM, 0), S(BPF_LD | BPF_IMM, 5), S(BPF_ALU | BPF_DIV | BPF_X, 0),
               S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  EXPECT_EQ(run_filter(p, data_of(0)), SECCOMP_RET_KILL_THREAD);
}

TEST(Interpreter, ValidatorRefusesWhatTheKernelRefuses) {
  EXPECT_NE(program_problem({}), "");
  EXPECT_NE(program_problem(Program(4097, S(BPF_RET | BPF_K, 0))).find("4096"), std::string::npos);
  EXPECT_NE(
      program_problem({S(BPF_LD | BPF_W | BPF_ABS, 64), S(BPF_RET | BPF_K, 0)}).find("outside"),
      std::string::npos);
  EXPECT_NE(program_problem({S(BPF_LD | BPF_W | BPF_ABS, 2), S(BPF_RET | BPF_K, 0)}), "");
  EXPECT_NE(program_problem({S(BPF_LD | BPF_H | BPF_ABS, 0), S(BPF_RET | BPF_K, 0)}).find("opcode"),
            std::string::npos);
  EXPECT_NE(program_problem({J(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0), S(BPF_RET | BPF_K, 0)})
                .find("past the end"),
            std::string::npos);
  EXPECT_NE(program_problem({S(BPF_LD | BPF_IMM, 0)}).find("not a return"), std::string::npos);
  EXPECT_NE(program_problem({S(BPF_ALU | BPF_DIV | BPF_K, 0), S(BPF_RET | BPF_K, 0)}), "");
  EXPECT_NE(program_problem({S(BPF_ALU | BPF_LSH | BPF_K, 32), S(BPF_RET | BPF_K, 0)}), "");
  EXPECT_NE(program_problem({S(BPF_LD | BPF_MEM, 16), S(BPF_RET | BPF_K, 0)}), "");
  // M[1] is stored on one path only.
  Program partial = {S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
                     S(BPF_ST, 1), S(BPF_LD | BPF_MEM, 1), S(BPF_RET | BPF_A, 0)};
  EXPECT_NE(program_problem(partial).find("M[1]"), std::string::npos);
  EXPECT_THROW(run_filter(partial, data_of(1)), Error);
  EXPECT_EQ(program_problem({S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}), "");
}

TEST(Interpreter, ValidatorAgreesWithTheKernel) {
  // Each program is offered to the real kernel: it must accept exactly those we accept.
  std::vector<Program> programs = {
      {S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_LD | BPF_W | BPF_ABS, 60), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_LD | BPF_W | BPF_ABS, 64), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_LD | BPF_W | BPF_ABS, 2), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_LD | BPF_B | BPF_ABS, 0), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_LD | BPF_MEM, 0), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_ST, 0), S(BPF_LD | BPF_MEM, 0), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_LD | BPF_IMM, 0)},
      {S(BPF_ALU | BPF_MOD | BPF_K, 3), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_ALU | BPF_RSH | BPF_K, 31), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_ALU | BPF_RSH | BPF_K, 32), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {J(BPF_JMP | BPF_JA, 1, 0, 0), S(BPF_RET | BPF_K, 0), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {J(BPF_JMP | BPF_JA, 2, 0, 0), S(BPF_RET | BPF_K, 0), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
      {S(BPF_LDX | BPF_W | BPF_LEN, 0), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)},
  };
  for (size_t i = 0; i < programs.size(); ++i) {
    const bool we_accept = program_problem(programs[i]).empty();
    ChildOutcome o = run_filtered(programs[i], [] { return 0; });
    ASSERT_TRUE(o.exited) << i;
    const bool kernel_accepts = o.exit_code == 0;
    EXPECT_EQ(we_accept, kernel_accepts) << "program " << i << ": " << program_problem(programs[i]);
  }
}

TEST(Interpreter, ActionsAndTheirNames) {
  EXPECT_EQ(describe(SECCOMP_RET_ALLOW), "allow");
  EXPECT_EQ(describe(SECCOMP_RET_ERRNO | EPERM), "errno(EPERM)");
  EXPECT_EQ(describe(SECCOMP_RET_ERRNO | 4000), "errno(4000)");
  EXPECT_EQ(describe(SECCOMP_RET_KILL_PROCESS), "kill-process");
  EXPECT_EQ(describe(SECCOMP_RET_KILL_THREAD), "kill-thread");
  EXPECT_EQ(describe(SECCOMP_RET_TRAP), "trap");
  EXPECT_EQ(describe(SECCOMP_RET_TRAP | 3), "trap(3)");
  EXPECT_EQ(describe(SECCOMP_RET_LOG), "log");
  EXPECT_EQ(describe(SECCOMP_RET_TRACE | 7), "trace(7)");
  EXPECT_EQ(describe(SECCOMP_RET_USER_NOTIF), "user-notify");
  EXPECT_EQ(describe(0x12340000u), "kill-process");  // unknown actions kill the process
  EXPECT_EQ(action_of(SECCOMP_RET_ERRNO | ENOSYS), err(ENOSYS));
  for (uint32_t ret : {SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 13u, SECCOMP_RET_KILL_PROCESS,
                       SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_LOG,
                       SECCOMP_RET_TRACE | 9u, SECCOMP_RET_USER_NOTIF})
    EXPECT_EQ(ret_of(action_of(ret)), ret);
}

TEST(ProgramFile, RoundTripAndBadSize) {
  char dir[] = "/tmp/seccomp-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/f.bpf";
  Program p = {S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 1),
               S(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1), S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  write_program(path, p);
  Program back = read_program(path);
  ASSERT_EQ(back.size(), p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(back[i].code, p[i].code);
    EXPECT_EQ(back[i].k, p[i].k);
    EXPECT_EQ(back[i].jt, p[i].jt);
    EXPECT_EQ(back[i].jf, p[i].jf);
  }
  { std::ofstream(path, std::ios::app) << "xyz"; }
  try {
    read_program(path);
    FAIL() << "a 35-byte file was read as a program";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("35 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_program(std::string(dir) + "/missing.bpf"), Error);
  unlink(path.c_str());
  rmdir(dir);
}
