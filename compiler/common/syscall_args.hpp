// Syscall argument names as the C prototypes in the section-2 manual pages give them
// (socket(domain, type, protocol)), generated at configure time by cmake/syscall_args.cmake.
// A syscall without a prototype there has no names: policies use arg0..arg5 for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace policy {

// Index of argument `arg` of `syscall`: a prototype name ("domain") or "arg0".."arg5".
std::optional<unsigned> syscall_arg_index(std::string_view syscall, std::string_view arg);
// The prototype's argument names in order (empty when no manual page gives one).
std::vector<std::string> syscall_arg_names(std::string_view syscall);
// True when the prototype declares argument `index` as a pointer or array (seccomp then sees
// the address, never the data).
bool syscall_arg_is_pointer(std::string_view syscall, unsigned index);

}  // namespace policy
