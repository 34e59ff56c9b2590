// PLACEHOLDER (issue 14): helper "inspect" replaces this file.
#include "compiler/inspect/process.hpp"

#include "compiler/common/error.hpp"

namespace policy::inspect {

audit::Posture posture_of_process(pid_t pid) {
  throw Error("inspecting pid " + std::to_string(pid) + " is not implemented yet");
}

}  // namespace policy::inspect
