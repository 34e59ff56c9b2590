// Fuzzes the seccomp BPF interpreter and disassembler. Input: a struct seccomp_data (64 bytes,
// zero-padded when shorter) followed by struct sock_filter[] in host order (8 bytes each, at most
// BPF_MAXINSNS). Checks, beyond "no crash": a program the validator accepts runs without throwing
// and gives the same verdict checked and unchecked; one it refuses is refused by run_filter too.
#include <linux/seccomp.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "compiler/common/error.hpp"
#include "compiler/seccomp/disassemble.hpp"
#include "compiler/seccomp/interpreter.hpp"
#include "compiler/seccomp/program.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "bpf fuzzer: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace policy;
  using namespace policy::seccomp;
  struct seccomp_data sd {};
  std::memcpy(&sd, data, size < sizeof sd ? size : sizeof sd);
  Program prog;
  for (size_t off = sizeof sd; off + sizeof(sock_filter) <= size; off += sizeof(sock_filter)) {
    if (prog.size() == kMaxInstructions + 1) break;  // one past the limit is still refused
    sock_filter f;
    std::memcpy(&f, data + off, sizeof f);
    prog.push_back(f);
  }
  (void)disassemble(prog);
  const std::string problem = program_problem(prog);
  if (problem.empty()) {
    RunResult checked, unchecked;
    try {
      checked = run_filter_traced(prog, sd);
      unchecked = run_filter_unchecked(prog, sd);
    } catch (const Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      fail("a program the validator accepts was refused when run");
    }
    if (checked.ret != unchecked.ret || checked.executed != unchecked.executed)
      fail("checked and unchecked runs disagree");
    if (checked.executed == 0 || checked.executed > prog.size()) fail("impossible step count");
    (void)describe(checked.ret);
    (void)describe(action_of(checked.ret));
  } else {
    try {
      (void)run_filter(prog, sd);
      fail("run_filter ran a program the validator refuses");
    } catch (const Error&) {
    }
    try {
      (void)run_filter_unchecked(prog, sd);  // bounds are still checked: no crash
    } catch (const Error&) {
    }
  }
  return 0;
}
