// Argument values as a policy writes them: header constants from the language's own table
// (compiler/common/names.hpp, cmake/constants.cmake), never a table typed here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace policy::learn {

// Which argument of `syscall` learn mode keeps the values of, and how they are named:
// socket(domain), clone(flags), personality(persona), ioctl(request), prctl(option). nullopt for
// other syscalls (the recorder adds the arguments the base policy's own conditions check).
std::optional<unsigned> checked_argument(const std::string& syscall);

// The argument as a policy names it: the manual's prototype name for a value argument, else argN.
std::string argument_name(const std::string& syscall, unsigned arg);

// `value` of argument `arg` of `syscall` in the language's words: AF_INET, TCGETS,
// CLONE_VM|CLONE_FS|SIGCHLD, PR_SET_NAME; a number when no constant names it.
std::string value_text(const std::string& syscall, unsigned arg, uint64_t value);

// A header constant of the family `prefix` ("AF_", "SOCK_") whose value is `value`: when several
// share it (AF_UNIX, AF_LOCAL, AF_FILE), the shortest, then the last in alphabetical order.
std::optional<std::string> constant_named(const std::string& prefix, uint64_t value);

}  // namespace policy::learn
