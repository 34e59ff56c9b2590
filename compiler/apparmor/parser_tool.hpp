// apparmor_parser, the judge of every profile this project writes: compile-check without a kernel
// (-Q -K), the binary policy (-QKS) for identity checks, and loading into the kernel (-Kr).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace policy::apparmor {

struct ParserRun {
  int exit_status = -1;  // the process's exit code; -1 when it did not exit normally
  std::string out, err;
};

// The apparmor_parser binary: $APPARMOR_PARSER, else the first found on $PATH, /usr/sbin, /sbin.
// Throws policy::Error when it is not installed (with the Debian package to install).
std::string apparmor_parser_path();

// Runs apparmor_parser with `args`, the profile text on its standard input.
ParserRun run_apparmor_parser(const std::vector<std::string>& args, const std::string& profile);

// Compiles the profile without loading it (-Q -K). nullopt when accepted; else the parser's
// message.
std::optional<std::string> check_profile(const std::string& profile);

// The binary policy apparmor_parser would load (-QKS). Throws policy::Error when it refuses.
std::string binary_policy(const std::string& profile);

// Loads or replaces the profile in the running kernel (-Kr). Throws policy::Error on failure.
void load_profile(const std::string& profile);

}  // namespace policy::apparmor
