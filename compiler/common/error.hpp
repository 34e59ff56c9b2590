// The project's one error convention (docs/errors.md): a failing operation throws policy::Error
// built where the failure happened, carrying the host path or policy location, the errno if any,
// and what the user can do. Only the CLI boundaries (policyc, policyrun main) and the launch
// recipe's child/parent bridge catch it.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace policy {

class Error : public std::runtime_error {
 public:
  // (std::runtime_error copies the message whatever it is given: a move would be none.)
  explicit Error(const std::string& message, int sys_errno = 0)
      : std::runtime_error(message), sys_errno_(sys_errno) {}
  int sys_errno() const { return sys_errno_; }

 private:
  int sys_errno_;
};

// "what: path: strerror(errno)" for a failed system call on a host path; captures errno now.
Error sys_error(const std::string& what, const std::string& path = {});

}  // namespace policy
