// A Kubernetes object as YAML text, the form kubectl users keep and apply: block style, keys in the
// order they were inserted (apiVersion, kind, metadata, spec), every string double-quoted in JSON's
// escaping (a valid YAML double-quoted scalar, so no string is ever read back as a number, a bool
// or null), and the notes as `#` comment lines at the top.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace policy::k8s {

// `what` names the output in the error a string JSON cannot hold raises (json_text's).
std::string to_yaml(const nlohmann::ordered_json& object, const std::vector<std::string>& comments,
                    const std::string& what);

}  // namespace policy::k8s
