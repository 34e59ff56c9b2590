// What layers other than the LSMs do for the filesystem and network rules of the enforceability
// report (`policyc compile --report`): the COMPILED seccomp filter, run on probe calls for every
// target arch (socket(AF_ALG, ...), mount(...)), and the mounts policyrun makes (read-only, noexec
// and masked paths). Every verdict comes from the filter's bytes or the runtime plan, never from
// the policy text alone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/driver/report.hpp"
#include "compiler/ir/policy.hpp"
#include "compiler/seccomp/program.hpp"

namespace policy::driver {

class FilterProbe {
 public:
  FilterProbe(const ir::SeccompPolicy& policy, const seccomp::Program& filter);
  // seccomp's verdict on socket(family[, type]) (family "alg", type "stream" or "" for every
  // type); nullopt when the filter refuses none of the probes on any arch.
  std::optional<LayerVerdict> sockets(const std::string& family, const std::string& type) const;
  // seccomp's verdict on the families no allow rule of `network` grants ("other socket families
  // refused"): refused on every arch for every probe, some, or none.
  LayerVerdict ungranted_families(const ir::NetworkPolicy& network) const;
  // seccomp's verdict on the syscalls that carry a mount rule (mount, fsopen, ... for "mount");
  // nullopt when the filter lets them through.
  std::optional<LayerVerdict> mount_calls(const std::string& kind) const;

 private:
  struct Call {
    std::string syscall;
    std::vector<uint64_t> args;
    std::string label;  // how a reason names it, when not by its numbers
  };
  // The arches (names) on which the filter refuses every one of `calls`, and for each other arch
  // the first call it lets through ("socket(AF_ALG|0x100000000, 0, 0) on x86_64; ...").
  // `any_refused`: set when the filter refuses at least one of the calls on some arch.
  std::vector<std::string> refusing_arches(const std::vector<Call>& calls, std::string* passes,
                                           bool* any_refused = nullptr) const;
  std::vector<Call> socket_calls(uint64_t family, const std::vector<uint64_t>& types,
                                 bool wide_args) const;

  const ir::SeccompPolicy& policy_;
  const seccomp::Program& filter_;
};

// What policyrun's mounts do for a `deny` path rule: masked paths (the container never reaches
// the host's file), read-only paths and /sys (read-only, noexec), /proc (noexec). nullopt when
// none of them covers the rule's paths.
std::optional<LayerVerdict> runtime_path_verdict(const ir::Policy& policy,
                                                 const ir::PathRule& rule);

}  // namespace policy::driver
