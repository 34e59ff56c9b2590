#include "compiler/common/syscall_args.hpp"

#include <map>

namespace policy {

namespace {

struct ArgEntry {
  const char* syscall;
  unsigned index;
  const char* name;
  bool pointer;
};

#define POLICY_SYSCALL_ARG(sc, i, n, p) {sc, i, n, p},
const ArgEntry kArgs[] = {
#include "syscall_args_table.inc"
    {nullptr, 0, nullptr, false}};
#undef POLICY_SYSCALL_ARG

struct Arg {
  std::string name;
  bool pointer = false;
};

const std::map<std::string, std::vector<Arg>, std::less<>>& table() {
  static const std::map<std::string, std::vector<Arg>, std::less<>> t = [] {
    std::map<std::string, std::vector<Arg>, std::less<>> m;
    for (const ArgEntry& e : kArgs) {
      if (!e.syscall) break;
      auto& v = m[e.syscall];
      if (v.size() <= e.index) v.resize(e.index + 1);
      v[e.index] = Arg{e.name, e.pointer};
    }
    return m;
  }();
  return t;
}

// The kernel's name for a syscall often differs from the man page's (the page documents the
// glibc function): rt_sigaction -> sigaction, pread64 -> pread, newfstatat -> fstatat,
// mmap2 -> mmap, _llseek -> llseek, setuid32 -> setuid, fcntl64 -> fcntl. Tried in this order.
const std::vector<Arg>* lookup(std::string_view syscall) {
  auto& t = table();
  auto find = [&](std::string_view n) -> const std::vector<Arg>* {
    auto it = t.find(n);
    return it == t.end() ? nullptr : &it->second;
  };
  if (auto* v = find(syscall)) return v;
  std::string n(syscall);
  auto strip_prefix = [&](std::string_view p) {
    if (n.rfind(p, 0) == 0) n = n.substr(p.size());
  };
  auto strip_suffix = [&](std::string_view s) {
    if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0)
      n.resize(n.size() - s.size());
  };
  strip_prefix("rt_");
  strip_prefix("_");
  if (auto* v = find(n)) return v;
  strip_prefix("new");
  if (auto* v = find(n)) return v;
  for (std::string_view s : {"64", "32", "2"}) {
    std::string before = n;
    strip_suffix(s);
    if (auto* v = find(n)) return v;
    n = before;
  }
  return nullptr;
}

}  // namespace

std::optional<unsigned> syscall_arg_index(std::string_view syscall, std::string_view arg) {
  // The prototype's names come first: prctl(option, arg2, ...) calls its second argument arg2.
  if (const auto* v = lookup(syscall))
    for (unsigned i = 0; i < v->size(); ++i)
      if ((*v)[i].name == arg) return i;
  if (arg.size() == 4 && arg.substr(0, 3) == "arg" && arg[3] >= '0' && arg[3] <= '5')
    return static_cast<unsigned>(arg[3] - '0');
  return std::nullopt;
}

std::vector<std::string> syscall_arg_names(std::string_view syscall) {
  std::vector<std::string> out;
  if (const auto* v = lookup(syscall))
    for (const Arg& a : *v) out.push_back(a.name);
  return out;
}

bool syscall_arg_is_pointer(std::string_view syscall, unsigned index) {
  const auto* v = lookup(syscall);
  return v && index < v->size() && (*v)[index].pointer;
}

}  // namespace policy
