#include "compiler/seccomp/program.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "compiler/common/error.hpp"

namespace policy::seccomp {

namespace {

bool opcode_allowed(uint16_t code) {
  // The opcodes kernel/seccomp.c (seccomp_check_filter) lets through, after bpf_check_classic.
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_ADD | BPF_K:
    case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K:
    case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K:
    case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K:
    case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K:
    case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K:
    case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K:
    case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K:
    case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K:
    case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K:
    case BPF_JMP | BPF_JSET | BPF_X:
      return true;
    default:
      return false;
  }
}

std::string at(size_t pc, const std::string& what) {
  return "instruction " + std::to_string(pc) + ": " + what;
}

std::string hex(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

}  // namespace

std::string program_problem(const Program& prog) {
  const size_t len = prog.size();
  if (len == 0) return "the program is empty";
  if (len > kMaxInstructions)
    return "the program has " + std::to_string(len) + " instructions; the kernel accepts at most " +
           std::to_string(kMaxInstructions);
  for (size_t pc = 0; pc < len; ++pc) {
    const sock_filter& f = prog[pc];
    if (!opcode_allowed(f.code))
      return at(pc, "opcode " + hex(f.code) + " is not allowed in a seccomp filter");
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (f.k >= kSeccompDataSize || (f.k & 3) != 0)
          return at(pc, "load at offset " + std::to_string(f.k) +
                            " is outside struct seccomp_data or not 4-byte aligned");
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (f.k == 0) return at(pc, "division by the constant 0");
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (f.k >= 32) return at(pc, "shift by " + std::to_string(f.k) + " (must be below 32)");
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (f.k >= kScratchWords)
          return at(pc,
                    "scratch memory slot " + std::to_string(f.k) + " does not exist (M[0..15])");
        break;
      case BPF_JMP | BPF_JA:
        if (f.k >= len - pc - 1)
          return at(pc, "jump target " + std::to_string(pc + 1 + uint64_t{f.k}) +
                            " is past the end (length " + std::to_string(len) + ")");
        break;
      default:
        if (BPF_CLASS(f.code) == BPF_JMP) {
          if (pc + f.jt + 1 >= len || pc + f.jf + 1 >= len)
            return at(pc, "jump target " + std::to_string(pc + 1 + std::max(f.jt, f.jf)) +
                              " is past the end (length " + std::to_string(len) + ")");
        }
        break;
    }
  }
  const uint16_t last = prog[len - 1].code;
  if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
    return at(len - 1, "the last instruction is not a return");

  // Scratch memory must be stored on every path before it is loaded (check_load_and_stores).
  // Jumps only go forward, so one pass in order computes the slots valid on entry to each pc.
  std::vector<uint16_t> valid(len, 0xffff);
  valid[0] = 0;
  for (size_t pc = 0; pc < len; ++pc) {
    const sock_filter& f = prog[pc];
    uint16_t mem = valid[pc];
    switch (f.code) {
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
        if (!(mem & (1u << f.k)))
          return at(pc, "loads scratch slot M[" + std::to_string(f.k) +
                            "] that is not stored on every path before it");
        break;
      case BPF_ST:
      case BPF_STX:
        mem |= static_cast<uint16_t>(1u << f.k);
        break;
      default:
        break;
    }
    if (BPF_CLASS(f.code) == BPF_RET) continue;
    if (f.code == (BPF_JMP | BPF_JA)) {
      valid[pc + 1 + f.k] &= mem;
    } else if (BPF_CLASS(f.code) == BPF_JMP) {
      valid[pc + 1 + f.jt] &= mem;
      valid[pc + 1 + f.jf] &= mem;
    } else {
      valid[pc + 1] &= mem;
    }
  }
  return {};
}

void validate_program(const Program& prog) {
  std::string why = program_problem(prog);
  if (!why.empty()) throw Error("invalid seccomp program: " + why);
}

Program read_program(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw sys_error("open seccomp program", path);
  std::string bytes;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("read seccomp program", path);
      ::close(fd);
      throw e;
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0)
    throw Error(path + ": not a seccomp BPF program: its size (" + std::to_string(bytes.size()) +
                " bytes) is not a positive multiple of " + std::to_string(sizeof(sock_filter)) +
                " (one struct sock_filter per instruction); give a raw filter as "
                "seccomp_export_bpf or policyc writes it");
  Program prog(bytes.size() / sizeof(sock_filter));
  std::memcpy(prog.data(), bytes.data(), bytes.size());
  return prog;
}

void write_program(const std::string& path, const Program& prog) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw sys_error("create seccomp program file", path);
  const char* p = reinterpret_cast<const char*>(prog.data());
  size_t left = prog.size() * sizeof(sock_filter);
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("write seccomp program", path);
      ::close(fd);
      throw e;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw sys_error("close seccomp program file", path);
}

}  // namespace policy::seccomp
