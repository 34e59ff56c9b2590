// The seccomp filters installed for a live process, fetched from the kernel with
// PTRACE_SECCOMP_GET_FILTER (ptrace(2)): the tracer needs CAP_SYS_ADMIN and must not be under
// seccomp itself; the process is seized, stopped for the fetch and always let go.
#pragma once

#include <sys/types.h>

#include <vector>

#include "compiler/seccomp/program.hpp"

namespace policy::inspect {

// The filters of `pid` in the order they were installed (the kernel's index: 0 is the oldest;
// tests/inspect checks it); empty
// when it has none. PTRACE_SEIZE, PTRACE_INTERRUPT, one PTRACE_SECCOMP_GET_FILTER per index until
// ENOENT, PTRACE_DETACH (with the signal the stop caught, if any): the process is never left
// stopped or traced, also when a step fails. Throws policy::Error naming the pid, what failed and
// what to do: no such process, a zombie, our own pid, already traced, missing CAP_SYS_ADMIN.
std::vector<seccomp::Program> fetch_seccomp_filters(pid_t pid);

}  // namespace policy::inspect
