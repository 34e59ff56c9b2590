// Device access: which device nodes the container may create (mknod) and open. cgroup v1 takes
// the rules as lines for devices.allow; cgroup v2 has no devices controller and takes a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the run's cgroup instead.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "compiler/ir/runtime_plan.hpp"

namespace policy::launch::devices {

// "c 1:3 rwm", "b *:* m", "a *:* rwm": one devices.allow line per rule.
std::string v1_line(const ir::DeviceRule& rule);

// The device program: each rule is one block of tests, the first block that matches allows the
// access; none matching refuses it (the program returns 0 and the kernel says EPERM).
std::vector<bpf_insn> program(const std::vector<ir::DeviceRule>& rules);

// Loads program(rules) and attaches it (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI: the programs of
// the cgroups above still apply) to the cgroup v2 directory `cgroup_dir`. The program stays
// attached as long as the cgroup exists. Throws policy::Error naming the directory and what the
// host lacks when the kernel refuses.
void attach_v2(const std::string& cgroup_dir, const std::vector<ir::DeviceRule>& rules);

}  // namespace policy::launch::devices
