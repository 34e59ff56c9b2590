#include "runtime/launch/devices.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "compiler/common/error.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch::devices {

std::string v1_line(const ir::DeviceRule& r) {
  auto num = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  std::string access;
  if (r.access & ir::DeviceRule::Read) access += 'r';
  if (r.access & ir::DeviceRule::Write) access += 'w';
  if (r.access & ir::DeviceRule::Mknod) access += 'm';
  return std::string(1, static_cast<char>(r.type)) + " " + num(r.major) + ":" + num(r.minor) + " " +
         access;
}

namespace {

// The registers of the program: r1 the context, r2..r5 its fields, r6 scratch.
constexpr uint8_t kCtx = BPF_REG_1, kAccess = BPF_REG_2, kType = BPF_REG_3, kMajor = BPF_REG_4,
                  kMinor = BPF_REG_5, kScratch = BPF_REG_6;

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_u32(uint8_t dst, int16_t offset) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, offset, 0);
}
bpf_insn alu_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
// 32-bit compare: device numbers are u32 in the context and the immediate is sign-extended.
bpf_insn jne_imm(uint8_t dst, int32_t imm, int16_t skip) {
  return insn(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, skip, imm);
}
bpf_insn ret(int32_t v) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, v);
}
bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

uint32_t bpf_access(uint8_t a) {
  return ((a & ir::DeviceRule::Read) ? BPF_DEVCG_ACC_READ : 0) |
         ((a & ir::DeviceRule::Write) ? BPF_DEVCG_ACC_WRITE : 0) |
         ((a & ir::DeviceRule::Mknod) ? BPF_DEVCG_ACC_MKNOD : 0);
}

long bpf(int cmd, bpf_attr& attr) {
  return ::syscall(SYS_bpf, cmd, &attr, sizeof attr);
}

}  // namespace

std::vector<bpf_insn> program(const std::vector<ir::DeviceRule>& rules) {
  std::vector<bpf_insn> p;
  // access_type holds the access in its upper 16 bits and the device type in the lower 16.
  p.push_back(load_u32(kAccess, offsetof(bpf_cgroup_dev_ctx, access_type)));
  p.push_back(mov_reg(kType, kAccess));
  p.push_back(alu_imm(BPF_AND, kType, 0xffff));
  p.push_back(alu_imm(BPF_RSH, kAccess, 16));
  p.push_back(load_u32(kMajor, offsetof(bpf_cgroup_dev_ctx, major)));
  p.push_back(load_u32(kMinor, offsetof(bpf_cgroup_dev_ctx, minor)));
  for (const ir::DeviceRule& r : rules) {
    // Each test jumps past the end of this block when it fails.
    std::vector<bpf_insn> block;
    std::vector<size_t> tests;
    if (r.type != ir::DeviceRule::All) {
      tests.push_back(block.size());
      block.push_back(jne_imm(
          kType, r.type == ir::DeviceRule::Char ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0));
    }
    // Every access asked for must be in the rule: (access & ~allowed) == 0.
    block.push_back(mov_reg(kScratch, kAccess));
    block.push_back(alu_imm(BPF_AND, kScratch, static_cast<int32_t>(~bpf_access(r.access))));
    tests.push_back(block.size());
    block.push_back(jne_imm(kScratch, 0, 0));
    if (r.major >= 0) {
      tests.push_back(block.size());
      block.push_back(jne_imm(kMajor, static_cast<int32_t>(r.major), 0));
    }
    if (r.minor >= 0) {
      tests.push_back(block.size());
      block.push_back(jne_imm(kMinor, static_cast<int32_t>(r.minor), 0));
    }
    block.push_back(ret(1));
    block.push_back(exit_insn());
    for (size_t t : tests) block[t].off = static_cast<int16_t>(block.size() - t - 1);
    p.insert(p.end(), block.begin(), block.end());
  }
  p.push_back(ret(0));
  p.push_back(exit_insn());
  return p;
}

void attach_v2(const std::string& cgroup_dir, const std::vector<ir::DeviceRule>& rules) {
  std::vector<bpf_insn> prog = program(rules);
  static const char license[] = "GPL";
  bpf_attr load{};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uintptr_t>(prog.data());
  load.insn_cnt = static_cast<uint32_t>(prog.size());
  load.license = reinterpret_cast<uintptr_t>(license);
  UniqueFd fd(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
  if (!fd.valid()) {
    int e = errno;
    // Again with the verifier's log, only to say why (a full log may not fit: ENOSPC).
    std::string log(1 << 16, '\0');
    load.log_buf = reinterpret_cast<uintptr_t>(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    load.log_level = 1;
    UniqueFd again(static_cast<int>(bpf(BPF_PROG_LOAD, load)));
    log.resize(std::strlen(log.c_str()));
    throw Error("devices: the kernel refused the cgroup v2 device program (bpf BPF_PROG_LOAD: " +
                    std::string(std::strerror(e)) + (log.empty() ? "" : "; verifier: " + log) +
                    "); cgroup v2 restricts devices only with a BPF device program, which "
                    "needs a kernel built with CONFIG_CGROUP_BPF and CAP_SYS_ADMIN (or CAP_BPF)",
                e);
  }
  UniqueFd cg(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg.valid()) throw sys_error("devices: open the cgroup", cgroup_dir);
  bpf_attr at{};
  at.target_fd = static_cast<uint32_t>(cg.get());
  at.attach_bpf_fd = static_cast<uint32_t>(fd.get());
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, at) != 0)
    throw sys_error("devices: attach the device program (bpf BPF_PROG_ATTACH BPF_CGROUP_DEVICE) to",
                    cgroup_dir);
}

}  // namespace policy::launch::devices
