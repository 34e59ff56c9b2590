// A readable listing of a seccomp program, one line per instruction.
#pragma once

#include <string>

#include "compiler/seccomp/program.hpp"

namespace policy::seccomp {

// Each line: index, mnemonic, operands, then a comment. Jump targets are absolute instruction
// indexes ("jeq #0xc000003e, 3, 12" jumps to 3 when equal, else to 12). Comments name the
// seccomp_data field a load reads, the architecture an arch comparison tests, the syscall a number
// comparison tests when the arch is known on every path to it, and the action of a return:
//    0: ld   [4]                          ; arch
//    1: jeq  #0xc000003e, 2, 9            ; x86_64
//    2: ld   [0]                          ; nr
//    3: jeq  #0x3b, 8, 4                  ; x86_64 execve
//    8: ret  #0x50001                     ; errno(EPERM)
std::string disassemble(const Program& prog);

}  // namespace policy::seccomp
