// A seccomp program as the kernel takes it (an array of classic BPF instructions), the kernel's
// own acceptance rules for it, and the raw .bpf file format (host-endian struct sock_filter[]).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

namespace policy::seccomp {

using Program = std::vector<sock_filter>;

// Size of struct seccomp_data: the only memory a seccomp filter can load from.
inline constexpr uint32_t kSeccompDataSize = 64;
// BPF_MAXINSNS: the kernel refuses longer filters.
inline constexpr size_t kMaxInstructions = 4096;
// BPF_MEMWORDS: scratch memory M[0..15].
inline constexpr uint32_t kScratchWords = 16;

// Checks `prog` against the rules the kernel applies when a filter is installed
// (bpf_check_classic + seccomp_check_filter): 1..4096 instructions, only the opcodes seccomp
// allows, aligned in-bounds loads from seccomp_data, jumps inside the program, no division by a
// zero constant, shifts below 32, scratch slots stored before they are loaded, RET last.
// Returns an empty string when the kernel would accept it, else the first reason it would not
// ("instruction 12: jump target 300 is past the end (length 40)").
std::string program_problem(const Program& prog);
// Throws policy::Error with that reason when the program is not acceptable.
void validate_program(const Program& prog);

// Raw .bpf files: the instructions as the kernel takes them, host endianness, no header.
Program read_program(const std::string& path);
void write_program(const std::string& path, const Program& prog);

}  // namespace policy::seccomp
