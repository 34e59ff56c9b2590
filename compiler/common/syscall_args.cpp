#include "compiler/common/syscall_args.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace policy {

namespace {

// Names held in the entries, not pointed to: a table of pointers is relocated (each of its pages
// written) by the dynamic loader at every start of a PIE program, used or not, ~9 pages here.
// A name longer than its array is a compile error ("initializer-string ... is too long").
struct ArgEntry {
  char syscall[32];
  unsigned index;
  char name[24];
  bool pointer;
};

#define POLICY_SYSCALL_ARG(sc, i, n, p) {sc, i, n, p},
const ArgEntry kArgs[] = {
#include "syscall_args_table.inc"
    {"", 0, "", false}};
#undef POLICY_SYSCALL_ARG

// The entries ordered by syscall then index, built once without copying a name (a map of
// strings cost ~0.4 ms of every compile). Several entries for one index: the last one counts.
const std::vector<const ArgEntry*>& sorted() {
  static const std::vector<const ArgEntry*> v = [] {
    std::vector<const ArgEntry*> out;
    for (const ArgEntry& e : kArgs)
      if (e.syscall[0]) out.push_back(&e);
    std::stable_sort(out.begin(), out.end(), [](const ArgEntry* a, const ArgEntry* b) {
      int c = std::strcmp(a->syscall, b->syscall);
      return c < 0 || (c == 0 && a->index < b->index);
    });
    return out;
  }();
  return v;
}

// A syscall's arguments by index ("" for an index the table skips).
struct Arg {
  std::string_view name;
  bool pointer = false;
};

std::optional<std::vector<Arg>> find(std::string_view syscall) {
  const auto& v = sorted();
  auto it = std::lower_bound(v.begin(), v.end(), syscall,
                             [](const ArgEntry* e, std::string_view n) { return e->syscall < n; });
  if (it == v.end() || (*it)->syscall != syscall) return std::nullopt;
  std::vector<Arg> args;
  for (; it != v.end() && (*it)->syscall == syscall; ++it) {
    if (args.size() <= (*it)->index) args.resize((*it)->index + 1);
    args[(*it)->index] = Arg{(*it)->name, (*it)->pointer};
  }
  return args;
}

// The kernel's name for a syscall often differs from the man page's (the page documents the
// glibc function): rt_sigaction -> sigaction, pread64 -> pread, newfstatat -> fstatat,
// mmap2 -> mmap, _llseek -> llseek, setuid32 -> setuid, fcntl64 -> fcntl. Tried in this order.
std::optional<std::vector<Arg>> lookup(std::string_view syscall) {
  if (auto v = find(syscall)) return v;
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
  if (auto v = find(n)) return v;
  strip_prefix("new");
  if (auto v = find(n)) return v;
  for (std::string_view s : {"64", "32", "2"}) {
    std::string before = n;
    strip_suffix(s);
    if (auto v = find(n)) return v;
    n = before;
  }
  return std::nullopt;
}

}  // namespace

std::optional<unsigned> syscall_arg_index(std::string_view syscall, std::string_view arg) {
  // The prototype's names come first: prctl(option, arg2, ...) calls its second argument arg2.
  if (const auto v = lookup(syscall))
    for (unsigned i = 0; i < v->size(); ++i)
      if ((*v)[i].name == arg) return i;
  if (arg.size() == 4 && arg.substr(0, 3) == "arg" && arg[3] >= '0' && arg[3] <= '5')
    return static_cast<unsigned>(arg[3] - '0');
  return std::nullopt;
}

std::vector<std::string> syscall_arg_names(std::string_view syscall) {
  std::vector<std::string> out;
  if (const auto v = lookup(syscall))
    for (const Arg& a : *v) out.emplace_back(a.name);
  return out;
}

bool syscall_arg_is_pointer(std::string_view syscall, unsigned index) {
  const auto v = lookup(syscall);
  return v && index < v->size() && (*v)[index].pointer;
}

}  // namespace policy
