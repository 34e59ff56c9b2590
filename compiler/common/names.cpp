#include "compiler/common/names.hpp"

#include <seccomp.h>
#include <sys/capability.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

namespace policy::names {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string resolve_num(uint32_t arch, int nr) {
  char* s = seccomp_syscall_resolve_num_arch(arch, nr);
  if (!s) return {};
  std::string out(s);
  std::free(s);
  return out;
}

// Spellings libseccomp's seccomp_arch_resolve_name() accepts; the token values come from it.
constexpr const char* kLibseccompArchNames[] = {
    "x86_64", "x86", "x32", "aarch64", "arm", "mips", "mipsel", "mips64", "mipsel64", "mips64n32",
    "mipsel64n32", "ppc", "ppc64", "ppc64le", "s390", "s390x", "parisc", "parisc64", "riscv64"};

// Other spellings users meet: Go/Docker ("amd64", "arm64", "386", "ppc64le") and Docker's
// "SCMP_ARCH_X86_64" (handled by stripping the prefix and lowering).
constexpr std::pair<const char*, const char*> kAliases[] = {
    {"amd64", "x86_64"}, {"arm64", "aarch64"}, {"386", "x86"}, {"i386", "x86"}, {"i686", "x86"},
    {"mipsle", "mipsel"}, {"mips64le", "mipsel64"}, {"mips64n32le", "mipsel64n32"},
    {"mips64len32", "mipsel64n32"}, {"mipsel64n32", "mipsel64n32"}};

}  // namespace

std::optional<uint32_t> arch_token(std::string_view name) {
  std::string n = lower(name);
  if (n.rfind("scmp_arch_", 0) == 0) n = n.substr(10);
  for (auto& [alias, real] : kAliases)
    if (n == alias) n = real;
  uint32_t tok = seccomp_arch_resolve_name(n.c_str());
  if (tok == 0) return std::nullopt;
  return tok;
}

std::string arch_name(uint32_t token) {
  for (const char* n : kLibseccompArchNames)
    if (seccomp_arch_resolve_name(n) == token) return n;
  return "arch-0x" + [&] {
    char buf[16];
    snprintf(buf, sizeof buf, "%x", token);
    return std::string(buf);
  }();
}

uint32_t native_arch() { return seccomp_arch_native(); }

std::vector<uint32_t> compat_arches(uint32_t token) {
  // Docker's archMap: each native architecture with the ABIs its kernel can also run.
  auto t = [](const char* n) { return seccomp_arch_resolve_name(n); };
  if (token == t("x86_64")) return {t("x86_64"), t("x86"), t("x32")};
  if (token == t("aarch64")) return {t("aarch64"), t("arm")};
  if (token == t("mips64")) return {t("mips64"), t("mips64n32"), t("mips")};
  if (token == t("mipsel64")) return {t("mipsel64"), t("mipsel64n32"), t("mipsel")};
  if (token == t("ppc64")) return {t("ppc64"), t("ppc")};
  if (token == t("s390x")) return {t("s390x"), t("s390")};
  if (token == t("parisc64")) return {t("parisc64"), t("parisc")};
  return {token};
}

std::vector<uint32_t> default_target_arches() { return compat_arches(native_arch()); }

std::vector<std::string> all_arch_names() {
  return std::vector<std::string>(std::begin(kLibseccompArchNames), std::end(kLibseccompArchNames));
}

std::optional<int> syscall_number(std::string_view name, uint32_t arch) {
  std::string n(name);
  int nr = seccomp_syscall_resolve_name_arch(arch, n.c_str());
  if (nr < 0) return std::nullopt;  // __NR_SCMP_ERROR or a pseudo-syscall: absent on this arch
  return nr;
}

std::optional<std::string> syscall_name(int nr, uint32_t arch) {
  std::string s = resolve_num(arch, nr);
  if (s.empty()) return std::nullopt;
  return s;
}

bool syscall_known(std::string_view name) {
  std::string n(name);
  return seccomp_syscall_resolve_name_arch(seccomp_arch_resolve_name("x86_64"), n.c_str()) !=
         __NR_SCMP_ERROR;
}

const std::vector<std::string>& all_syscall_names() {
  static const std::vector<std::string> names = [] {
    // libseccomp keeps one table for all architectures: a name missing on x86_64 resolves there
    // to a negative pseudo-syscall number, so x86_64's numbers plus the pseudo range cover all.
    std::vector<std::string> out;
    uint32_t x86_64 = seccomp_arch_resolve_name("x86_64");
    for (int nr = 0; nr < 4096; ++nr)
      if (auto s = resolve_num(x86_64, nr); !s.empty()) out.push_back(s);
    for (int nr = -11000; nr < -10000; ++nr)
      if (auto s = resolve_num(x86_64, nr); !s.empty()) out.push_back(s);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }();
  return names;
}

std::vector<int> arch_syscall_numbers(uint32_t arch) {
  std::vector<int> out;
  for (const std::string& n : all_syscall_names()) {
    int nr = seccomp_syscall_resolve_name_arch(arch, n.c_str());
    if (nr >= 0) out.push_back(nr);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

int highest_syscall_number(uint32_t arch) {
  static std::mutex lock;
  static std::map<uint32_t, int> highest;
  std::lock_guard<std::mutex> guard(lock);
  auto [it, fresh] = highest.try_emplace(arch, -1);
  if (fresh) {
    const std::vector<int> nrs = arch_syscall_numbers(arch);
    if (!nrs.empty()) it->second = nrs.back();
  }
  return it->second;
}

std::optional<int> capability_number(std::string_view name) {
  std::string n = lower(name);
  if (n.rfind("cap_", 0) != 0) n = "cap_" + n;
  cap_value_t v;
  if (cap_from_name(n.c_str(), &v) != 0) return std::nullopt;
  if (v < 0 || v > last_capability()) return std::nullopt;
  return static_cast<int>(v);
}

std::string capability_name(int cap) {
  char* s = cap_to_name(static_cast<cap_value_t>(cap));
  std::string out = s ? s : "";
  cap_free(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

int last_capability() {
  // libcap's own list of names (CAP_LAST_CAP of the headers it was built with).
  return CAP_LAST_CAP;
}

std::vector<std::string> all_capability_names() {
  std::vector<std::string> out;
  for (int c = 0; c <= last_capability(); ++c) out.push_back(capability_name(c));
  return out;
}

}  // namespace policy::names
