#include "runtime/launch/policy_cache.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "compiler/common/diagnostics.hpp"
#include "compiler/common/fnv.hpp"
#include "compiler/driver/ir_codec.hpp"
#include "runtime/launch/denials.hpp"
#include "runtime/launch/fds.hpp"

namespace policy::launch {
namespace {

constexpr char kMagic[8] = {'P', 'R', 'C', 'A', 'C', 'H', 'E', '2'};

// The GNU build-id of the main program (empty when it has none, and then nothing is cached): a
// new build may compile the same text differently.
std::string build_id() {
  std::string id;
  ::dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* out) -> int {
        auto& result = *static_cast<std::string*>(out);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          // The loader gives the segment as an address; a pointer is what it is.
          const char* p = reinterpret_cast<const char*>(  // NOLINT(performance-no-int-to-ptr)
              info->dlpi_addr + ph.p_vaddr);
          const char* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            const auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const char* name = p + sizeof(ElfW(Nhdr));
            const char* desc = name + ((n->n_namesz + 3) & ~3U);
            if (desc + n->n_descsz > end) break;
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                std::memcmp(name, "GNU", 4) == 0) {
              result.assign(desc, n->n_descsz);
              return 1;
            }
            p = desc + ((n->n_descsz + 3) & ~3U);
          }
        }
        return 1;  // the first object is the main program
      },
      &id);
  return id;
}

using driver::put_string;
using driver::take_string;

// Everything the compile depends on that is not a file, as one string. Empty: do not cache.
std::string inputs(const CompileRequest& r) {
  std::string id = build_id();
  if (id.empty()) return {};
  struct utsname u {};
  ::uname(&u);
  const scmp_version* v = seccomp_version();
  char cwd[4096];
  std::string out;
  put_string(out, id);
  put_string(out, u.release);
  put_string(out, std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
                      std::to_string(v->micro));
  put_string(out, ::getcwd(cwd, sizeof cwd) ? cwd : "");
  put_string(out, r.policy_file);
  put_string(out, r.load.policy_name.value_or(""));
  put_string(out, std::to_string(r.load.include_dirs.size()));
  for (const auto& d : r.load.include_dirs) put_string(out, d);
  put_string(out, std::to_string(static_cast<int>(r.seccomp.backend)));
  put_string(out, r.seccomp.frequencies_file);
  put_string(out, std::string(r.explain_denials ? "explain" : "enforce") +
                      (r.explain_landlock_calls ? "+landlock" : ""));
  put_string(out, r.seccomp.kernel ? std::to_string(r.seccomp.kernel->major) + "." +
                                         std::to_string(r.seccomp.kernel->minor)
                                   : "");
  return out;
}

// FNV-1a of the inputs: only the entry's name (the entry itself is compared in full).
std::string entry_name(const std::string& in) {
  return fnv1a_hex(in) + ".bin";
}

std::optional<std::string> read_regular(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n <= 0) return std::nullopt;
    got += static_cast<size_t>(n);
  }
  return out;
}

bool is_regular(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Only a directory this user owns and no one else may write is trusted.
bool trusted_dir(const std::string& dir) {
  struct stat st {};
  return ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<CompiledPolicy> lookup(const std::string& path, const std::string& in) {
  auto bytes = read_regular(path);
  if (!bytes) return std::nullopt;
  // A checksum of the whole entry ends it: a damaged entry (a flipped bit could still decode,
  // e.g. as a weaker policy) is a miss.
  uint64_t sum;
  if (bytes->size() < sizeof kMagic + sizeof sum) return std::nullopt;
  std::memcpy(&sum, bytes->data() + bytes->size() - sizeof sum, sizeof sum);
  bytes->resize(bytes->size() - sizeof sum);
  if (fnv1a_words(*bytes) != sum) return std::nullopt;
  std::string_view rest(*bytes);
  if (std::memcmp(rest.data(), kMagic, sizeof kMagic) != 0) return std::nullopt;
  rest.remove_prefix(sizeof kMagic);
  std::string stored, count, file, exists, text, diagnostics, ir, filter;
  if (!take_string(rest, stored) || stored != in || !take_string(rest, count)) return std::nullopt;
  const unsigned long n = std::strtoul(count.c_str(), nullptr, 10);
  for (unsigned long i = 0; i < n; ++i) {
    if (!take_string(rest, file) || !take_string(rest, exists) || !take_string(rest, text))
      return std::nullopt;
    if (exists == "1") {
      auto now = read_regular(file);
      if (!now || *now != text) return std::nullopt;
    } else if (is_regular(file)) {
      return std::nullopt;
    }
  }
  if (!take_string(rest, diagnostics) || !take_string(rest, ir) || !take_string(rest, filter) ||
      !rest.empty())
    return std::nullopt;
  auto policy = driver::decode_ir(ir);
  if (!policy || filter.empty() || filter.size() % sizeof(sock_filter) != 0) return std::nullopt;
  CompiledPolicy c;
  c.policy = std::move(*policy);
  c.filter.resize(filter.size() / sizeof(sock_filter));
  std::memcpy(c.filter.data(), filter.data(), filter.size());
  if (!seccomp::program_problem(c.filter).empty()) return std::nullopt;
  c.diagnostics = std::move(diagnostics);
  c.from_cache = true;
  return c;
}

void store(const std::string& dir, const std::string& path, const std::string& in,
           const CompiledPolicy& c, const std::vector<frontend::LoadOptions::FileProbe>& probes) {
  // The state root (--root) as the rest of policyrun creates it, then the cache below it.
  const std::string parent = dir.substr(0, dir.find_last_of('/'));
  if (!parent.empty() && ::mkdir(parent.c_str(), 0711) != 0 && errno != EEXIST) return;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return;
  if (!trusted_dir(dir)) return;
  std::string out(kMagic, sizeof kMagic);
  put_string(out, in);
  put_string(out, std::to_string(probes.size()));
  for (const auto& p : probes) {
    put_string(out, p.path);
    put_string(out, p.exists ? "1" : "0");
    put_string(out, p.text);
  }
  put_string(out, c.diagnostics);
  put_string(out, driver::encode_ir(c.policy));
  put_string(out, std::string(reinterpret_cast<const char*>(c.filter.data()),
                              c.filter.size() * sizeof(sock_filter)));
  const uint64_t sum = fnv1a_words(out);
  out.append(reinterpret_cast<const char*>(&sum), sizeof sum);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return;
  bool ok = ::write(fd.get(), out.data(), out.size()) == static_cast<ssize_t>(out.size());
  ok = ::close(fd.release()) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

}  // namespace

void reserve_heap(size_t bytes) {
  ::mallopt(M_MMAP_THRESHOLD, 16 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
  char* lo = static_cast<char*>(::sbrk(0));
  void* volatile block = std::malloc(bytes);  // volatile: the pair must not be optimised away
  if (!block) return;
  static_cast<char*>(block)[0] = 0;
  std::free(block);
  char* hi = static_cast<char*>(::sbrk(0));
  auto first = (reinterpret_cast<uintptr_t>(lo) + 4095) & ~uintptr_t{4095};
  if (reinterpret_cast<uintptr_t>(hi) > first)
    ::madvise(reinterpret_cast<void*>(first),  // NOLINT(performance-no-int-to-ptr): page-aligned
              reinterpret_cast<uintptr_t>(hi) - first, MADV_POPULATE_WRITE);
}

seccomp::Program compile_filter(const CompileRequest& r, const ir::Policy& policy) {
  if (!r.explain_denials) return driver::compile_seccomp(policy.seccomp, r.seccomp);
  return driver::compile_seccomp(
      denials::explain_variant(policy.seccomp, r.explain_landlock_calls
                                                   ? denials::landlock_calls(policy)
                                                   : std::vector<std::string>{}),
      r.seccomp);
}

std::optional<CompiledPolicy> compile_policy(const CompileRequest& r, std::string& diagnostics) {
  std::string in, entry;
  if (!r.cache_dir.empty()) {
    in = inputs(r);
    if (!in.empty()) entry = r.cache_dir + "/" + entry_name(in);
  }
  if (!entry.empty() && trusted_dir(r.cache_dir)) {
    if (auto hit = lookup(entry, in)) {
      diagnostics = hit->diagnostics;
      return hit;
    }
  }

  if (r.reserve_heap_on_miss) reserve_heap(kFullCompileHeap);
  DiagnosticEngine diags;
  frontend::LoadOptions load = r.load;
  std::vector<frontend::LoadOptions::FileProbe> probes;
  load.probes = &probes;
  auto pol = frontend::load_policy_file(r.policy_file, load, diags);
  std::ostringstream text;
  diags.print_all(text);
  diagnostics = text.str();
  if (!pol) return std::nullopt;
  CompiledPolicy c;
  c.filter = compile_filter(r, *pol);
  c.policy = std::move(*pol);
  c.diagnostics = diagnostics;
  if (!entry.empty()) store(r.cache_dir, entry, in, c, probes);
  return c;
}

}  // namespace policy::launch
