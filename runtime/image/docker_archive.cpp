// `docker save` archives: always follow manifest.json (Config, RepoTags, Layers), whether the
// layers are legacy `<id>/layer.tar`, containers/image's `<diff_id>.tar` (+ symlinks) or Docker
// 25's `blobs/sha256/<digest>`.
#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/image/formats.hpp"

namespace policy::image {

namespace {

using json = nlohmann::json;
constexpr size_t kConfigLimit = 16u << 20;

const std::vector<Compression> kAnyCompression = {
    Compression::None, Compression::Gzip, Compression::Zstd, Compression::Xz, Compression::Bzip2};

// The sha256 a docker-save file name promises: "blobs/sha256/<hex>" or "<hex>.json".
std::optional<std::string> digest_in_name(const std::string& name) {
  static const std::string blobs = "blobs/sha256/";
  if (name.rfind(blobs, 0) == 0 && is_sha256_hex(name.substr(blobs.size())))
    return name.substr(blobs.size());
  if (name.size() == 64 + 5 && name.compare(64, 5, ".json") == 0 &&
      is_sha256_hex(name.substr(0, 64)))
    return name.substr(0, 64);
  return std::nullopt;
}

// "busybox" == "busybox:latest" == "docker.io/library/busybox:latest".
std::string canonical_tag(std::string t) {
  for (const char* prefix : {"docker.io/library/", "docker.io/", "index.docker.io/library/"})
    if (t.rfind(prefix, 0) == 0) {
      t = t.substr(std::string(prefix).size());
      break;
    }
  size_t slash = t.rfind('/');
  size_t colon = t.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) t += ":latest";
  return t;
}

json load_manifest(Bundle& b) {
  auto j = json::parse(b.read_file("manifest.json", 16u << 20), nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.empty()) return json();
  for (const auto& m : j)
    if (!m.is_object() || !m.contains("Config") || !m["Config"].is_string() ||
        !m.contains("Layers") || !m["Layers"].is_array())
      return json();
  return j;
}

std::vector<std::string> repo_tags(const json& m) {
  std::vector<std::string> out;
  if (m.contains("RepoTags") && m["RepoTags"].is_array())
    for (const auto& t : m["RepoTags"])
      if (t.is_string()) out.push_back(t);
  return out;
}

}  // namespace

bool is_docker_archive(Bundle& b) {
  return b.resolve("manifest.json") && !load_manifest(b).is_null();
}

ResolvedImage resolve_docker_archive(Bundle& b, const std::optional<std::string>& tag) {
  const std::string& path = b.path();
  json manifest = load_manifest(b);
  if (manifest.is_null()) throw Error(path + ": manifest.json is not a docker save manifest");
  std::string all_tags;
  for (const auto& m : manifest)
    for (auto& t : repo_tags(m)) all_tags += (all_tags.empty() ? "'" : ", '") + t + "'";
  if (all_tags.empty()) all_tags = "none";

  const json* chosen = nullptr;
  std::string chosen_tag;
  if (tag) {
    for (const auto& m : manifest)
      for (auto& t : repo_tags(m))
        if (!chosen && canonical_tag(t) == canonical_tag(*tag)) {
          chosen = &m;
          chosen_tag = t;
        }
    if (!chosen) throw Error(path + ": no image tagged '" + *tag + "' (tags: " + all_tags + ")");
  } else {
    if (manifest.size() != 1)
      throw Error(path + ": holds " + std::to_string(manifest.size()) + " images; pick one with " +
                  path + ":TAG (tags: " + all_tags + ")");
    chosen = &manifest[0];
    auto tags = repo_tags(*chosen);
    if (!tags.empty()) chosen_tag = tags[0];
  }

  std::string config_name = (*chosen)["Config"];
  auto config_file = b.resolve(config_name);
  if (!config_file) throw Error(path + ": config '" + config_name + "' is not in the archive");
  std::string config_text = b.read_file(*config_file, kConfigLimit);
  std::string config_hex = sha256_hex(config_text);
  auto promised = digest_in_name(config_name);
  if (!promised) promised = digest_in_name(*config_file);
  if (promised && *promised != config_hex)
    throw Error(path + ": config '" + config_name +
                "': digest mismatch (content is sha256:" + config_hex + "); refusing the image");
  std::string cwhat = path + ": config " + short_digest(config_hex);
  ResolvedImage out;
  out.config = parse_image_config(config_text, cwhat);
  auto diff_ids = config_diff_ids(config_text, cwhat);
  const auto& layers = (*chosen)["Layers"];
  if (!diff_ids.empty() && diff_ids.size() != layers.size())
    throw Error(cwhat + ": " + std::to_string(diff_ids.size()) + " diff_ids for " +
                std::to_string(layers.size()) + " layers in manifest.json");
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!layers[i].is_string()) throw Error(path + ": manifest.json: a layer name is not a string");
    std::string name = layers[i];
    auto file = b.resolve(name);
    if (!file) throw Error(path + ": layer '" + name + "' is not in the archive");
    LayerRef ref;
    ref.bundle_name = *file;
    ref.digest_hex = digest_in_name(name);
    if (!ref.digest_hex) ref.digest_hex = digest_in_name(*file);
    if (!diff_ids.empty()) ref.diff_id_hex = diff_ids[i];
    ref.allowed = kAnyCompression;
    ref.display = ref.digest_hex ? "layer " + short_digest(*ref.digest_hex) : "layer " + name;
    out.layers.push_back(ref);
  }
  out.description = "docker save archive " + path +
                    (chosen_tag.empty() ? std::string() : " image " + chosen_tag) +
                    " (config sha256:" + config_hex + ", " + std::to_string(out.layers.size()) +
                    " layer" + (out.layers.size() == 1 ? "" : "s") + ")";
  return out;
}

}  // namespace policy::image
