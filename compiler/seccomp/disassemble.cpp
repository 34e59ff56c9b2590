#include "compiler/seccomp/disassemble.hpp"

#include <linux/audit.h>
#include <seccomp.h>

#include <cstdio>
#include <optional>
#include <vector>

#include "compiler/common/names.hpp"
#include "compiler/seccomp/interpreter.hpp"

namespace policy::seccomp {

namespace {

// What the accumulator holds, as far as a listing can tell.
enum class Src : uint8_t { Unknown, Nr, Arch, Other };

struct State {
  bool reached = false;
  uint32_t arch = 0;  // AUDIT_ARCH_* known on every path here, 0 = not known
  Src a = Src::Unknown;
};

State merge(const State& x, const State& y) {
  if (!x.reached) return y;
  if (!y.reached) return x;
  State m;
  m.reached = true;
  m.arch = x.arch == y.arch ? x.arch : 0;
  m.a = x.a == y.a ? x.a : Src::Unknown;
  return m;
}

std::string field_name(uint32_t off) {
  if (off == 0) return "nr";
  if (off == 4) return "arch";
  const bool le = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
  auto half = [&](uint32_t rel) {
    return ((rel % 8 == 0) == le) ? " (low 32 bits)" : " (high 32 bits)";
  };
  if (off == 8 || off == 12) return "instruction_pointer" + std::string(half(off - 8));
  if (off >= 16 && off < 64) return "args[" + std::to_string((off - 16) / 8) + "]" + half(off - 16);
  return "?";
}

std::string arch_label(uint32_t audit) {
  if (audit == AUDIT_ARCH_X86_64) return "x86_64";
  std::string n = names::arch_name(audit);
  return n;
}

std::string syscall_label(uint32_t audit, uint32_t nr, const char* rel) {
  uint32_t token = audit;
  if (audit == AUDIT_ARCH_X86_64 && (nr & 0x40000000u)) token = SCMP_ARCH_X32;
  auto n = names::syscall_name(static_cast<int>(nr), token);
  return arch_label(token == SCMP_ARCH_X32 ? SCMP_ARCH_X32 : audit) + " " + rel +
         (n ? *n : "syscall " + std::to_string(nr) + " (unknown)");
}

std::string hex(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

const char* alu_name(uint16_t op) {
  switch (op) {
    case BPF_ADD:
      return "add";
    case BPF_SUB:
      return "sub";
    case BPF_MUL:
      return "mul";
    case BPF_DIV:
      return "div";
    case BPF_OR:
      return "or";
    case BPF_AND:
      return "and";
    case BPF_LSH:
      return "lsh";
    case BPF_RSH:
      return "rsh";
    case BPF_NEG:
      return "neg";
    case BPF_MOD:
      return "mod";
    case BPF_XOR:
      return "xor";
  }
  return "alu?";
}

const char* jmp_name(uint16_t op) {
  switch (op) {
    case BPF_JA:
      return "ja";
    case BPF_JEQ:
      return "jeq";
    case BPF_JGT:
      return "jgt";
    case BPF_JGE:
      return "jge";
    case BPF_JSET:
      return "jset";
  }
  return "j?";
}

}  // namespace

std::string disassemble(const Program& prog) {
  const size_t len = prog.size();
  std::vector<State> in(len);
  if (len) in[0].reached = true;
  std::string out;
  for (size_t pc = 0; pc < len; ++pc) {
    const sock_filter& f = prog[pc];
    State st = in[pc];
    std::string mnem, ops, comment;
    State after = st;
    auto to = [&](size_t target, const State& s) {
      if (target < len) in[target] = merge(in[target], s);
    };
    const uint16_t cls = BPF_CLASS(f.code);
    switch (cls) {
      case BPF_LD:
      case BPF_LDX: {
        const bool x = cls == BPF_LDX;
        mnem = x ? "ldx" : "ld";
        Src src = Src::Other;
        switch (BPF_MODE(f.code)) {
          case BPF_ABS:
            ops = "[" + std::to_string(f.k) + "]";
            comment = field_name(f.k);
            src = f.k == 0 ? Src::Nr : f.k == 4 ? Src::Arch : Src::Other;
            if (BPF_SIZE(f.code) != BPF_W) comment += " (not a 32-bit load: refused by the kernel)";
            break;
          case BPF_IMM:
            ops = "#" + hex(f.k);
            break;
          case BPF_MEM:
            ops = "M[" + std::to_string(f.k) + "]";
            break;
          case BPF_LEN:
            ops = "#len";
            comment = "sizeof(struct seccomp_data) = 64";
            break;
          default:
            ops = "?";
            comment = "mode not allowed in seccomp";
        }
        if (!x) after.a = src;
        break;
      }
      case BPF_ST:
        mnem = "st";
        ops = "M[" + std::to_string(f.k) + "]";
        break;
      case BPF_STX:
        mnem = "stx";
        ops = "M[" + std::to_string(f.k) + "]";
        break;
      case BPF_ALU:
        mnem = alu_name(BPF_OP(f.code));
        if (BPF_OP(f.code) != BPF_NEG) ops = BPF_SRC(f.code) == BPF_X ? "x" : "#" + hex(f.k);
        after.a = Src::Other;
        break;
      case BPF_MISC:
        mnem = BPF_MISCOP(f.code) == BPF_TAX ? "tax" : "txa";
        if (BPF_MISCOP(f.code) == BPF_TXA) after.a = Src::Other;
        break;
      case BPF_RET:
        mnem = "ret";
        if (BPF_RVAL(f.code) == BPF_A) {
          ops = "a";
        } else {
          ops = "#" + hex(f.k);
          comment = describe(f.k);
        }
        break;
      case BPF_JMP: {
        mnem = jmp_name(BPF_OP(f.code));
        if (BPF_OP(f.code) == BPF_JA) {
          ops = std::to_string(pc + 1 + uint64_t{f.k});
          to(pc + 1 + f.k, st);
          break;
        }
        const bool kx = BPF_SRC(f.code) == BPF_X;
        ops = (kx ? std::string("x") : "#" + hex(f.k)) + ", " + std::to_string(pc + 1 + f.jt) +
              ", " + std::to_string(pc + 1 + f.jf);
        State t = st, e = st;
        if (!kx && BPF_OP(f.code) == BPF_JEQ && st.a == Src::Arch) {
          comment = arch_label(f.k);
          t.arch = f.k;
        } else if (!kx && st.a == Src::Nr && f.k == 0x40000000u && BPF_OP(f.code) != BPF_JEQ) {
          comment = "x32 syscall bit";
        } else if (!kx && st.a == Src::Nr && f.k == 0xffffffffu) {
          comment = "nr -1 (no syscall)";
        } else if (!kx && st.a == Src::Nr && st.arch != 0 && BPF_OP(f.code) != BPF_JSET) {
          const char* rel = BPF_OP(f.code) == BPF_JGT   ? "> "
                            : BPF_OP(f.code) == BPF_JGE ? ">= "
                                                        : "";
          comment = syscall_label(st.arch, f.k, rel);
        }
        to(pc + 1 + f.jt, t);
        to(pc + 1 + f.jf, e);
        break;
      }
    }
    if (cls != BPF_JMP && cls != BPF_RET) to(pc + 1, after);
    char head[64];
    snprintf(head, sizeof head, "%4zu: %-4s %s", pc, mnem.c_str(), ops.c_str());
    std::string line = head;
    if (!st.reached) comment = comment.empty() ? "unreachable" : comment + " (unreachable)";
    if (!comment.empty()) {
      if (line.size() < 40) line.append(40 - line.size(), ' ');
      line += " ; " + comment;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace policy::seccomp
