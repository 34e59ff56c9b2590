#include "compiler/seccomp/interpreter.hpp"

#include <linux/audit.h>
#include <seccomp.h>

#include <cstring>

#include "compiler/common/error.hpp"
#include "compiler/common/names.hpp"

namespace policy::seccomp {

namespace {

[[noreturn]] void refuse(size_t pc, const std::string& why) {
  throw Error("invalid seccomp program: instruction " + std::to_string(pc) + ": " + why);
}

uint32_t load_word(const struct seccomp_data& data, uint32_t off, size_t pc) {
  if (off >= kSeccompDataSize || (off & 3) != 0)
    refuse(pc, "load at offset " + std::to_string(off) + " is outside struct seccomp_data");
  uint32_t w;
  std::memcpy(&w, reinterpret_cast<const char*>(&data) + off, sizeof w);
  return w;
}

}  // namespace

RunResult run_filter_unchecked(const Program& prog, const struct seccomp_data& data) {
  static_assert(sizeof(struct seccomp_data) == kSeccompDataSize);
  RunResult r;
  uint32_t A = 0, X = 0;
  uint32_t M[kScratchWords] = {};
  const size_t len = prog.size();
  size_t pc = 0;
  while (true) {
    if (pc >= len) refuse(pc, "execution ran past the end of the program without a return");
    const sock_filter& f = prog[pc];
    ++r.executed;
    size_t next = pc + 1;
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        A = load_word(data, f.k, pc);
        r.words_read |= static_cast<uint16_t>(1u << (f.k / 4));
        break;
      case BPF_LD | BPF_W | BPF_LEN:
        A = kSeccompDataSize;
        break;
      case BPF_LDX | BPF_W | BPF_LEN:
        X = kSeccompDataSize;
        break;
      case BPF_LD | BPF_IMM:
        A = f.k;
        break;
      case BPF_LDX | BPF_IMM:
        X = f.k;
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (f.k >= kScratchWords)
          refuse(pc, "scratch slot " + std::to_string(f.k) + " out of range");
        if (f.code == (BPF_LD | BPF_MEM)) A = M[f.k];
        if (f.code == (BPF_LDX | BPF_MEM)) X = M[f.k];
        if (f.code == BPF_ST) M[f.k] = A;
        if (f.code == BPF_STX) M[f.k] = X;
        break;
      case BPF_MISC | BPF_TAX:
        X = A;
        break;
      case BPF_MISC | BPF_TXA:
        A = X;
        break;
      case BPF_ALU | BPF_ADD | BPF_K:
        A += f.k;
        break;
      case BPF_ALU | BPF_ADD | BPF_X:
        A += X;
        break;
      case BPF_ALU | BPF_SUB | BPF_K:
        A -= f.k;
        break;
      case BPF_ALU | BPF_SUB | BPF_X:
        A -= X;
        break;
      case BPF_ALU | BPF_MUL | BPF_K:
        A *= f.k;
        break;
      case BPF_ALU | BPF_MUL | BPF_X:
        A *= X;
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (f.k == 0) refuse(pc, "division by the constant 0");
        A /= f.k;
        break;
      case BPF_ALU | BPF_DIV | BPF_X:
        // The kernel ends the program with 0 (SECCOMP_RET_KILL_THREAD) on division by zero.
        if (X == 0) {
          r.ret = 0;
          return r;
        }
        A /= X;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        A &= f.k;
        break;
      case BPF_ALU | BPF_AND | BPF_X:
        A &= X;
        break;
      case BPF_ALU | BPF_OR | BPF_K:
        A |= f.k;
        break;
      case BPF_ALU | BPF_OR | BPF_X:
        A |= X;
        break;
      case BPF_ALU | BPF_XOR | BPF_K:
        A ^= f.k;
        break;
      case BPF_ALU | BPF_XOR | BPF_X:
        A ^= X;
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
        if (f.k >= 32) refuse(pc, "shift by " + std::to_string(f.k));
        A <<= f.k;
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        if (f.k >= 32) refuse(pc, "shift by " + std::to_string(f.k));
        A >>= f.k;
        break;
      // Shifts by X: the kernel runs them as eBPF 32-bit shifts, which use the count modulo 32.
      case BPF_ALU | BPF_LSH | BPF_X:
        A <<= (X & 31);
        break;
      case BPF_ALU | BPF_RSH | BPF_X:
        A >>= (X & 31);
        break;
      case BPF_ALU | BPF_NEG:
        A = 0u - A;
        break;
      case BPF_JMP | BPF_JA:
        next = pc + 1 + f.k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        next = pc + 1 + (A == f.k ? f.jt : f.jf);
        break;
      case BPF_JMP | BPF_JEQ | BPF_X:
        next = pc + 1 + (A == X ? f.jt : f.jf);
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        next = pc + 1 + (A > f.k ? f.jt : f.jf);
        break;
      case BPF_JMP | BPF_JGT | BPF_X:
        next = pc + 1 + (A > X ? f.jt : f.jf);
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        next = pc + 1 + (A >= f.k ? f.jt : f.jf);
        break;
      case BPF_JMP | BPF_JGE | BPF_X:
        next = pc + 1 + (A >= X ? f.jt : f.jf);
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        next = pc + 1 + ((A & f.k) ? f.jt : f.jf);
        break;
      case BPF_JMP | BPF_JSET | BPF_X:
        next = pc + 1 + ((A & X) ? f.jt : f.jf);
        break;
      case BPF_RET | BPF_K:
        r.ret = f.k;
        return r;
      case BPF_RET | BPF_A:
        r.ret = A;
        return r;
      default: {
        char buf[16];
        snprintf(buf, sizeof buf, "0x%x", f.code);
        refuse(pc, std::string("opcode ") + buf + " is not allowed in a seccomp filter");
      }
    }
    if (next >= len && BPF_CLASS(f.code) == BPF_JMP)
      refuse(pc, "jump target " + std::to_string(next) + " is past the end (length " +
                     std::to_string(len) + ")");
    pc = next;
  }
}

RunResult run_filter_traced(const Program& prog, const struct seccomp_data& data) {
  validate_program(prog);
  return run_filter_unchecked(prog, data);
}

uint32_t run_filter(const Program& prog, const struct seccomp_data& data) {
  return run_filter_traced(prog, data).ret;
}

ir::Action action_of(uint32_t ret) {
  const uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
      return {ir::ActionKind::Allow, 0};
    case SECCOMP_RET_ERRNO:
      return {ir::ActionKind::Errno, data};
    case SECCOMP_RET_KILL_THREAD:
      return {ir::ActionKind::KillThread, 0};
    case SECCOMP_RET_TRAP:
      return {ir::ActionKind::Trap, data};
    case SECCOMP_RET_LOG:
      return {ir::ActionKind::Log, 0};
    case SECCOMP_RET_TRACE:
      return {ir::ActionKind::Trace, data};
    case SECCOMP_RET_USER_NOTIF:
      return {ir::ActionKind::UserNotify, 0};
    case SECCOMP_RET_KILL_PROCESS:
    default:  // the kernel treats any action it does not know as kill-process
      return {ir::ActionKind::KillProcess, 0};
  }
}

uint32_t ret_of(const ir::Action& a) {
  const uint32_t data = a.value & SECCOMP_RET_DATA;
  switch (a.kind) {
    case ir::ActionKind::Allow:
      return SECCOMP_RET_ALLOW;
    case ir::ActionKind::Errno:
      return SECCOMP_RET_ERRNO | data;
    case ir::ActionKind::KillProcess:
      return SECCOMP_RET_KILL_PROCESS;
    case ir::ActionKind::KillThread:
      return SECCOMP_RET_KILL_THREAD;
    case ir::ActionKind::Trap:
      return SECCOMP_RET_TRAP | data;
    case ir::ActionKind::Log:
      return SECCOMP_RET_LOG;
    case ir::ActionKind::Trace:
      return SECCOMP_RET_TRACE | data;
    case ir::ActionKind::UserNotify:
      return SECCOMP_RET_USER_NOTIF;
  }
  return SECCOMP_RET_KILL_PROCESS;
}

std::string describe(uint32_t ret) {
  return ir::describe(action_of(ret));
}

uint32_t audit_arch(uint32_t arch_token) {
  if (arch_token == SCMP_ARCH_X32) return AUDIT_ARCH_X86_64;
  return arch_token;
}

bool arch_is_32bit(uint32_t arch_token) {
  if (arch_token == SCMP_ARCH_X32) return true;  // libseccomp: x32 arguments are 32-bit
  return (arch_token & __AUDIT_ARCH_64BIT) == 0;
}

uint32_t stronger(uint32_t newer, uint32_t older) {
  const auto rank = [](uint32_t r) { return static_cast<int32_t>(r & SECCOMP_RET_ACTION_FULL); };
  return rank(older) < rank(newer) ? older : newer;
}

uint32_t run_filters_unchecked(const std::vector<Program>& filters,
                               const struct seccomp_data& data) {
  uint32_t ret = SECCOMP_RET_ALLOW;
  for (auto f = filters.rbegin(); f != filters.rend(); ++f)
    ret = stronger(ret, run_filter_unchecked(*f, data).ret);
  return ret;
}

}  // namespace policy::seccomp
