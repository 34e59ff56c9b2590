// The five capability sets of the launched process (bit N = capability N, as /proc/PID/status).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::ir {

struct CapabilitySets {
  uint64_t bounding = 0;
  uint64_t permitted = 0;
  uint64_t effective = 0;
  uint64_t inheritable = 0;
  uint64_t ambient = 0;
  SourceLoc loc;  // the capabilities section that decided them
  bool has(int cap) const { return (bounding >> cap) & 1; }
  bool operator==(const CapabilitySets& o) const {
    return bounding == o.bounding && permitted == o.permitted && effective == o.effective &&
           inheritable == o.inheritable && ambient == o.ambient;
  }
};

}  // namespace policy::ir
