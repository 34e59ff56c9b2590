// The runtime-relevant part of an OCI / Docker image config.
#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "runtime/image/image.hpp"

namespace policy::image {

namespace {

std::vector<std::string> string_list(const nlohmann::json& cfg, const char* key,
                                     const std::string& what) {
  std::vector<std::string> out;
  if (!cfg.contains(key) || cfg[key].is_null()) return out;
  const auto& v = cfg[key];
  if (!v.is_array()) throw Error(what + ": config." + key + " must be a list of strings");
  for (const auto& s : v) {
    if (!s.is_string()) throw Error(what + ": config." + key + " must be a list of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

std::string string_field(const nlohmann::json& cfg, const char* key, const std::string& what) {
  if (!cfg.contains(key) || cfg[key].is_null()) return {};
  if (!cfg[key].is_string()) throw Error(what + ": config." + key + " must be a string");
  return cfg[key].get<std::string>();
}

}  // namespace

ImageConfig parse_image_config(const std::string& json_text, const std::string& what) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(what + ": image config is not a JSON object");
  ImageConfig out;
  // "container_config" (Docker) describes the build container, not how to run the image.
  if (!j.contains("config") || j["config"].is_null()) return out;
  const auto& cfg = j["config"];
  if (!cfg.is_object()) throw Error(what + ": image config's \"config\" is not an object");
  out.env = string_list(cfg, "Env", what);
  out.entrypoint = string_list(cfg, "Entrypoint", what);
  out.cmd = string_list(cfg, "Cmd", what);
  out.working_dir = string_field(cfg, "WorkingDir", what);
  out.user = string_field(cfg, "User", what);
  return out;
}

}  // namespace policy::image
