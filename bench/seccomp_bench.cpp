// Seccomp filters side by side: policyc's generator (bpfgen) against libseccomp's binary tree and
// linear modes on the shipped policies - size, instructions executed per allowed syscall (by
// simulation), calls the kernel's constant-action cache takes - and the real cost of a call with
// each filter installed (forked child, many iterations) against no filter.
//   cmake --build build --target benchmarks && build/bench_seccomp_bench [policy.pol ...]
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "compiler/bpfgen/bpfgen.hpp"
#include "compiler/common/diagnostics.hpp"
#include "compiler/common/error.hpp"
#include "compiler/frontend/frontend.hpp"
#include "compiler/seccomp/libseccomp_backend.hpp"

namespace {

using policy::seccomp::Program;

std::string source_dir() {
  const char* s = std::getenv("POLICY_SOURCE_DIR");
  if (s) return s;
  for (std::string d : {".", "..", "../.."})
    if (std::filesystem::exists(d + "/policies/docker-default.pol")) return d;
  return ".";
}

struct Probe {
  const char* name;
  long nr;
  unsigned long a0, a1, a2;
};

// personality(0xffffffff) only queries the persona; socket(9999, ...) is allowed where socket is
// and fails in the kernel with EAFNOSUPPORT at once: both reach their argument checks.
// getppid is argument-free: with a cacheable filter the kernel skips the filter for it.
const Probe kProbes[] = {{"personality", SYS_personality, 0xffffffffUL, 0, 0},
                         {"socket", SYS_socket, 9999, 1, 0},
                         {"getppid", SYS_getppid, 0, 0, 0}};

double now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// ns per call of each probe, in a child with `prog` installed (none: no filter). Best of 5 runs.
std::vector<double> time_calls(const std::optional<Program>& prog, long iterations) {
  int fds[2];
  if (pipe(fds) != 0) throw policy::sys_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (prog) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(2);
      struct sock_fprog fp {
        static_cast<unsigned short>(prog->size()), const_cast<sock_filter*>(prog->data())
      };
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(3);
    }
    std::vector<double> out;
    for (const Probe& p : kProbes) {
      double best = 1e18;
      for (int run = 0; run < 5; ++run) {
        double t0 = now_ns();
        for (long i = 0; i < iterations; ++i) syscall(p.nr, p.a0, p.a1, p.a2);
        best = std::min(best, (now_ns() - t0) / static_cast<double>(iterations));
      }
      out.push_back(best);
    }
    ssize_t n = write(fds[1], out.data(), out.size() * sizeof(double));
    _exit(n == static_cast<ssize_t>(out.size() * sizeof(double)) ? 0 : 4);
  }
  close(fds[1]);
  std::vector<double> out(std::size(kProbes), -1);
  ssize_t n = read(fds[0], out.data(), out.size() * sizeof(double));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(out.size() * sizeof(double)))
    throw policy::Error("benchmark child failed (status " + std::to_string(status) +
                        "): could it install the filter?");
  return out;
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) files.push_back(argv[i]);
  if (files.empty()) {
    for (const auto& e : std::filesystem::directory_iterator(source_dir() + "/policies"))
      if (e.path().extension() == ".pol") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  }
  const long iterations =
      std::getenv("BENCH_ITERATIONS") ? std::atol(std::getenv("BENCH_ITERATIONS")) : 200000;
  const std::vector<double> base = time_calls(std::nullopt, iterations);
  std::printf("no filter: personality %.1f ns, socket %.1f ns, getppid %.1f ns per call\n\n",
              base[0], base[1], base[2]);
  std::printf("%-16s %-17s %6s %7s %9s %5s %7s %6s %7s | %8s %8s %8s | %7s %7s %7s\n", "policy",
              "backend", "insns", "size/t", "mean-exec", "max", "mean/t", "cached", "allowed",
              "pers ns", "sock ns", "ppid ns", "pers+", "sock+", "ppid+");
  for (const std::string& f : files) {
    policy::DiagnosticEngine diags;
    policy::frontend::LoadOptions opts;
    opts.include_dirs = {source_dir() + "/policies"};
    auto pol = policy::frontend::load_policy_file(f, opts, diags);
    if (!pol) {
      diags.print_all(std::cerr);
      return 1;
    }
    const auto& p = pol->seccomp;
    struct Row {
      const char* backend;
      Program prog;
    };
    std::vector<Row> rows;
    rows.push_back({"bpfgen", policy::bpfgen::generate(p)});
    for (bool tree : {true, false}) {
      policy::seccomp::LibseccompOptions o;
      o.binary_tree = tree;
      o.allow_multiplexer_widening = true;
      rows.push_back({tree ? "libseccomp-tree" : "libseccomp-linear",
                      policy::seccomp::compile_with_libseccomp(p, o)});
    }
    const auto tree_stats = policy::bpfgen::measure(rows[1].prog, p);
    const std::string name = std::filesystem::path(f).stem().string();
    for (const Row& r : rows) {
      const auto s = policy::bpfgen::measure(r.prog, p);
      const std::vector<double> t = time_calls(r.prog, iterations);
      std::printf(
          "%-16s %-17s %6zu %6.2fx %9.2f %5zu %6.2fx %6zu %7zu | %8.1f %8.1f %8.1f | %+7.1f %+7.1f "
          "%+7.1f\n",
          name.c_str(), r.backend, s.instructions,
          static_cast<double>(s.instructions) / static_cast<double>(tree_stats.instructions),
          s.mean_executed_allowed, s.max_executed_allowed,
          s.mean_executed_allowed / tree_stats.mean_executed_allowed, s.cache_eligible_allowed,
          s.allowed_syscalls, t[0], t[1], t[2], t[0] - base[0], t[1] - base[1], t[2] - base[2]);
    }
  }
  std::printf(
      "\nsize/t, mean/t: ratio to libseccomp-tree. mean-exec: instructions executed per allowed\n"
      "syscall, averaged over every target arch (all arguments 0). cached: allowed syscalls the\n"
      "kernel's constant-action cache takes. pers+/sock+/ppid+: ns per call added by the "
      "filter.\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_seccomp_bench: %s\n", e.what());
  return 1;
}
