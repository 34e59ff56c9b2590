#include "runtime/learn/values.hpp"

#include <cstdio>
#include <vector>

#include "compiler/common/names.hpp"
#include "compiler/common/syscall_args.hpp"

namespace policy::learn {

namespace {

std::string number(uint64_t v) {
  if (v < 4096) return std::to_string(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool starts_with(const std::string& s, const std::string& p) {
  return s.rfind(p, 0) == 0;
}

// Among constants whose name starts with one of `prefixes` (and none of `not_prefixes`), the
// one with `value`; `longest`: ties go to the longest name (SIGCHLD over SIGCLD).
std::optional<std::string> named(const std::vector<std::string>& prefixes,
                                 const std::vector<std::string>& not_prefixes, uint64_t value,
                                 bool longest) {
  std::optional<std::string> best;
  for (const std::string& n : names::all_constant_names()) {
    bool in = false;
    for (const auto& p : prefixes) in = in || starts_with(n, p);
    for (const auto& p : not_prefixes) in = in && !starts_with(n, p);
    if (!in || names::constant_value(n) != value) continue;
    if (!best) {
      best = n;
      continue;
    }
    bool better = longest ? n.size() > best->size() : n.size() < best->size();
    // all_constant_names() is sorted: a later equal-length name is alphabetically later.
    if (better || (!longest && n.size() == best->size())) best = n;
  }
  return best;
}

// clone flags: the CLONE_ bits, and the exit signal in the low byte (CSIGNAL).
std::string clone_flags(uint64_t v) {
  std::vector<std::string> parts;
  uint64_t rest = v & ~0xffULL;
  for (int bit = 8; bit < 64; ++bit) {
    uint64_t b = 1ULL << bit;
    if (!(rest & b)) continue;
    if (auto n = named({"CLONE_"}, {}, b, false)) {
      parts.push_back(*n);
      rest &= ~b;
    }
  }
  if (rest) parts.push_back(number(rest));
  if (uint64_t sig = v & 0xff) {
    auto n = named({"SIG"}, {}, sig, true);
    parts.push_back(n ? *n : number(sig));
  }
  if (parts.empty()) return "0";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "|") + p;
  return out;
}

}  // namespace

std::optional<unsigned> checked_argument(const std::string& syscall) {
  const char* arg = nullptr;
  if (syscall == "socket") arg = "domain";
  if (syscall == "clone") arg = "arg0";  // its flags on every target but s390
  if (syscall == "personality") arg = "persona";
  if (syscall == "ioctl") arg = "request";
  if (syscall == "prctl") arg = "option";
  if (!arg) return std::nullopt;
  return syscall_arg_index(syscall, arg);
}

std::string argument_name(const std::string& syscall, unsigned arg) {
  auto args = syscall_arg_names(syscall);
  if (arg < args.size() && !syscall_arg_is_pointer(syscall, arg)) return args[arg];
  return "arg" + std::to_string(arg);
}

std::optional<std::string> constant_named(const std::string& prefix, uint64_t value) {
  return named({prefix}, {}, value, false);
}

std::string value_text(const std::string& syscall, unsigned arg, uint64_t value) {
  std::optional<std::string> n;
  if (syscall == "socket" && arg == 0) n = constant_named("AF_", value);
  if (syscall == "clone" && arg == 0) return clone_flags(value);
  if (syscall == "ioctl" && arg == 1)
    n = named({"TIOC", "FIO", "SIOC", "TC"}, {"TIOCM_", "TIOCPKT_", "TIOCSER_"}, value, false);
  if (syscall == "prctl" && arg == 0) n = named({"PR_SET_", "PR_GET_"}, {}, value, false);
  if (syscall == "prctl" && arg == 0 && !n) n = named({"PR_"}, {}, value, false);
  return n ? *n : number(value);
}

}  // namespace policy::learn
