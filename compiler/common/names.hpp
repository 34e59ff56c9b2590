// Every name a policy can use, resolved through the libraries and headers that own them:
// syscalls and architectures through libseccomp, capabilities through libcap, constants
// (errno names, AF_*, CLONE_*, ...) through the system headers (cmake/constants.cmake).
// Nothing here is a table typed by hand.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace policy::names {

// ---- architectures (values are libseccomp's SCMP_ARCH_* tokens) ----
// Accepts libseccomp's names ("x86_64", "x86", "x32", "aarch64", "arm", ...), Docker/Go names
// ("amd64", "arm64", "386") and Docker's "SCMP_ARCH_X86_64" spelling.
std::optional<uint32_t> arch_token(std::string_view name);
std::string arch_name(uint32_t token);  // libseccomp's canonical name, e.g. "x86_64"
uint32_t native_arch();
// The host architecture and its compat ABIs, as Docker's archMap does
// (x86_64 -> x86_64, x86, x32; aarch64 -> aarch64, arm; ...).
std::vector<uint32_t> default_target_arches();
std::vector<uint32_t> compat_arches(uint32_t token);  // the list above for any native arch
std::vector<std::string> all_arch_names();

// ---- syscalls ----
// Number of `name` on `arch`, or nullopt when the syscall does not exist there.
std::optional<int> syscall_number(std::string_view name, uint32_t arch);
std::optional<std::string> syscall_name(int nr, uint32_t arch);
// True when libseccomp knows the name on at least one architecture.
bool syscall_known(std::string_view name);
const std::vector<std::string>& all_syscall_names();  // union over all architectures, sorted
// Every syscall number of an architecture (as the filter sees it; x32 numbers include the
// x32 bit), sorted.
std::vector<int> arch_syscall_numbers(uint32_t arch);
// The highest of those numbers: libseccomp's table for the arch ends there. A higher number is a
// syscall newer than libseccomp (or none at all); filters answer it with ENOSYS (docs/seccomp.md,
// "Syscalls newer than the tables"). -1 when libseccomp knows no syscall of the arch.
int highest_syscall_number(uint32_t arch);

// ---- capabilities ----
// "CHOWN", "CAP_CHOWN", "cap_chown" -> 0
std::optional<int> capability_number(std::string_view name);
std::string capability_name(int cap);             // "CAP_CHOWN"
int last_capability();                            // highest capability libcap knows
std::vector<std::string> all_capability_names();  // "CAP_*"

// ---- constants ----
std::optional<uint64_t> constant_value(std::string_view name);
const std::vector<std::string>& all_constant_names();
// The name a reader knows `value` by among the constants starting with `prefix` ("AF_" -> AF_UNIX,
// AF_NETLINK: not their aliases AF_LOCAL, AF_FILE, AF_ROUTE, nor a *_MAX bound); nullopt when
// none has that value.
std::optional<std::string> constant_name(std::string_view prefix, uint64_t value);
std::optional<int> errno_value(std::string_view name);  // "EPERM" -> 1
std::optional<std::string> errno_name(int value);       // 1 -> "EPERM"
std::vector<std::string> all_errno_names();

}  // namespace policy::names
