// The notes every Kubernetes object carries: one line per construct of the policy Kubernetes
// cannot express, with the policy line it comes from.
#pragma once

#include <string>
#include <vector>

#include "compiler/common/source.hpp"

namespace policy::k8s {

// "not expressed: WHAT (file:line:col): WHY" (the location when the rule has one).
inline void note(std::vector<std::string>& notes, const std::string& what, const SourceLoc& loc,
                 const std::string& why) {
  notes.push_back("not expressed: " + what + (loc.known() ? " (" + loc.str() + ")" : "") + ": " +
                  why);
}

}  // namespace policy::k8s
