// OCI image layout (directory or tarball): oci-layout + index.json + blobs/sha256/. Every blob
// on the way from index.json to the layers is checked against its descriptor's digest and size.
#include <sys/utsname.h>

#include <nlohmann/json.hpp>

#include "compiler/common/error.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/image/formats.hpp"

namespace policy::image {

namespace {

using json = nlohmann::json;

constexpr size_t kManifestLimit = 4u << 20;
constexpr size_t kConfigLimit = 16u << 20;
constexpr int kMaxIndexDepth = 4;
constexpr const char* kRefName = "org.opencontainers.image.ref.name";

const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

struct Descriptor {
  std::string media_type, hex;
  std::optional<uint64_t> size;
  json platform, annotations;
};

Descriptor descriptor(const json& j, const std::string& what) {
  if (!j.is_object()) throw Error(what + ": descriptor is not an object");
  Descriptor d;
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"];
  if (!j.contains("digest") || !j["digest"].is_string())
    throw Error(what + ": descriptor without a digest");
  d.hex = parse_sha256_digest(j["digest"].get<std::string>(), what);
  if (j.contains("size")) {
    if (!j["size"].is_number_unsigned()) throw Error(what + ": descriptor size is not a count");
    d.size = j["size"].get<uint64_t>();
  }
  if (j.contains("platform")) d.platform = j["platform"];
  if (j.contains("annotations")) d.annotations = j["annotations"];
  return d;
}

std::string ref_name(const Descriptor& d) {
  if (d.annotations.is_object() && d.annotations.contains(kRefName) &&
      d.annotations[kRefName].is_string())
    return d.annotations[kRefName];
  return {};
}

std::string platform_text(const Descriptor& d) {
  if (!d.platform.is_object()) return "(no platform)";
  std::string s = d.platform.value("os", "?") + "/" + d.platform.value("architecture", "?");
  if (d.platform.contains("variant") && d.platform["variant"].is_string())
    s += "/" + d.platform["variant"].get<std::string>();
  return s;
}

// Reads a blob, checks its digest and size, parses it as JSON.
json read_json_blob(Bundle& b, const Descriptor& d, size_t limit, const std::string& what) {
  std::string name = "blobs/sha256/" + d.hex;
  if (!b.resolve(name))
    throw Error(b.path() + ": " + what + " " + short_digest(d.hex) + ": blob " + name +
                " is missing");
  std::string data = b.read_file(name, limit);
  std::string got = sha256_hex(data);
  if (got != d.hex)
    throw Error(b.path() + ": " + what + " sha256:" + d.hex +
                ": digest mismatch (content is sha256:" + got + "); refusing the image");
  if (d.size && *d.size != data.size())
    throw Error(b.path() + ": " + what + " " + short_digest(d.hex) +
                ": size mismatch (descriptor " + std::to_string(*d.size) + ", blob " +
                std::to_string(data.size()) + " bytes); refusing the image");
  auto j = json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw Error(b.path() + ": " + what + " " + short_digest(d.hex) + ": not a JSON object");
  if (j.contains("mediaType") && j["mediaType"].is_string() && !d.media_type.empty() &&
      j["mediaType"] != d.media_type)
    throw Error(b.path() + ": " + what + " " + short_digest(d.hex) + ": its mediaType '" +
                j["mediaType"].get<std::string>() + "' differs from the descriptor's '" +
                d.media_type + "'");
  return j;
}

std::vector<Descriptor> manifests_of(const json& index, const std::string& what) {
  if (!index.contains("manifests") || !index["manifests"].is_array())
    throw Error(what + ": no \"manifests\" list");
  std::vector<Descriptor> out;
  for (const auto& m : index["manifests"]) out.push_back(descriptor(m, what));
  return out;
}

// linux/<host arch> out of a multi-platform list.
Descriptor pick_platform(const std::vector<Descriptor>& ds, const std::string& what) {
  std::string arch = host_oci_architecture();
  std::vector<const Descriptor*> match;
  for (auto& d : ds)
    if (d.platform.is_object() && d.platform.value("os", "") == "linux" &&
        d.platform.value("architecture", "") == arch)
      match.push_back(&d);
  if (match.empty()) {
    if (ds.size() == 1 && !ds[0].platform.is_object()) return ds[0];
    std::string have;
    for (auto& d : ds) have += (have.empty() ? "" : ", ") + platform_text(d);
    throw Error(what + ": no image for linux/" + arch + " (has: " + have + ")");
  }
  return *match[0];
}

Compression layer_compression(const std::string& media_type, const std::string& what) {
  static const char* kTarTypes[] = {"application/vnd.oci.image.layer.v1.tar",
                                    "application/vnd.oci.image.layer.nondistributable.v1.tar",
                                    "application/vnd.docker.image.rootfs.diff.tar",
                                    "application/vnd.docker.image.rootfs.foreign.diff.tar"};
  for (const char* base : kTarTypes) {
    std::string b = base;
    if (media_type == b) return Compression::None;
    if (media_type == b + "+gzip" || media_type == b + ".gzip") return Compression::Gzip;
    if (media_type == b + "+zstd") return Compression::Zstd;
  }
  throw Error(what + ": unsupported layer mediaType '" + media_type + "'");
}

}  // namespace

std::string host_oci_architecture() {
  utsname u{};
  ::uname(&u);
  std::string m = u.machine;
  // uname(2) machine names -> the GOARCH spelling OCI platforms use.
  if (m == "x86_64") return "amd64";
  if (m == "aarch64" || m == "arm64") return "arm64";
  if (m.rfind("armv", 0) == 0) return "arm";
  if (m == "i386" || m == "i486" || m == "i586" || m == "i686") return "386";
  return m;  // ppc64le, s390x, riscv64, mips64... are spelt the same
}

bool is_oci_layout(Bundle& b) {
  if (!b.resolve("oci-layout") || !b.resolve("index.json")) return false;
  auto j = json::parse(b.read_file("oci-layout", 65536), nullptr, false);
  return !j.is_discarded() && j.is_object() && j.contains("imageLayoutVersion");
}

std::vector<std::string> config_diff_ids(const std::string& config_json, const std::string& what) {
  auto j = json::parse(config_json, nullptr, false);
  std::vector<std::string> out;
  if (j.is_discarded() || !j.is_object() || !j.contains("rootfs") || !j["rootfs"].is_object())
    return out;
  const auto& r = j["rootfs"];
  if (!r.contains("diff_ids") || r["diff_ids"].is_null()) return out;
  if (!r["diff_ids"].is_array()) throw Error(what + ": rootfs.diff_ids is not a list");
  for (const auto& d : r["diff_ids"]) {
    if (!d.is_string()) throw Error(what + ": rootfs.diff_ids holds a non-string");
    out.push_back(parse_sha256_digest(d.get<std::string>(), what + ": rootfs.diff_ids"));
  }
  return out;
}

ResolvedImage resolve_oci_layout(Bundle& b, const std::optional<std::string>& tag) {
  const std::string& path = b.path();
  auto layout = json::parse(b.read_file("oci-layout", 65536), nullptr, false);
  if (layout.is_discarded() || !layout.is_object() || !layout.contains("imageLayoutVersion") ||
      !layout["imageLayoutVersion"].is_string() ||
      layout["imageLayoutVersion"].get<std::string>().rfind("1.", 0) != 0)
    throw Error(path + ": oci-layout: unsupported imageLayoutVersion (expected 1.x)");
  auto index = json::parse(b.read_file("index.json", kManifestLimit), nullptr, false);
  if (index.is_discarded() || !index.is_object())
    throw Error(path + ": index.json is not a JSON object");
  auto all = manifests_of(index, path + ": index.json");
  if (all.empty()) throw Error(path + ": index.json lists no image");

  std::string tags;
  for (auto& d : all)
    if (!ref_name(d).empty() && tags.find("'" + ref_name(d) + "'") == std::string::npos)
      tags += (tags.empty() ? "'" : ", '") + ref_name(d) + "'";
  if (tags.empty()) tags = "none";
  std::vector<Descriptor> cands;
  for (auto& d : all)
    if (!tag || ref_name(d) == *tag) cands.push_back(d);
  if (cands.empty()) throw Error(path + ": no image tagged '" + *tag + "' (tags: " + tags + ")");
  Descriptor chosen;
  if (cands.size() == 1) {
    chosen = cands[0];
  } else {
    bool platforms = true;
    for (auto& d : cands) platforms = platforms && d.platform.is_object();
    if (!platforms)
      throw Error(path + ": holds " + std::to_string(cands.size()) + " images; pick one with " +
                  path + ":TAG (tags: " + tags + ")");
    chosen = pick_platform(cands, path + ": index.json");
  }

  std::string chain;
  for (int depth = 0;; ++depth) {
    if (depth > kMaxIndexDepth) throw Error(path + ": image indexes nested too deeply");
    const std::string what =
        chosen.media_type == kOciIndex || chosen.media_type == kDockerList ? "index" : "manifest";
    if (chosen.media_type != kOciIndex && chosen.media_type != kDockerList &&
        chosen.media_type != kOciManifest && chosen.media_type != kDockerManifest)
      throw Error(path + ": manifest " + short_digest(chosen.hex) + ": unsupported mediaType '" +
                  chosen.media_type + "'");
    json j = read_json_blob(b, chosen, kManifestLimit, what);
    if (what == "index") {
      chosen = pick_platform(manifests_of(j, path + ": index " + short_digest(chosen.hex)),
                             path + ": index " + short_digest(chosen.hex));
      continue;
    }
    std::string mwhat = path + ": manifest " + short_digest(chosen.hex);
    if (!j.contains("config")) throw Error(mwhat + ": no config descriptor");
    Descriptor cfg = descriptor(j["config"], mwhat + ": config");
    std::string cfg_text = b.read_file("blobs/sha256/" + cfg.hex, kConfigLimit);
    if (sha256_hex(cfg_text) != cfg.hex)
      throw Error(path + ": config sha256:" + cfg.hex + ": digest mismatch (content is sha256:" +
                  sha256_hex(cfg_text) + "); refusing the image");
    if (cfg.size && *cfg.size != cfg_text.size())
      throw Error(path + ": config " + short_digest(cfg.hex) +
                  ": size mismatch; refusing the image");
    std::string cwhat = path + ": config " + short_digest(cfg.hex);
    ResolvedImage out;
    out.config = parse_image_config(cfg_text, cwhat);
    auto diff_ids = config_diff_ids(cfg_text, cwhat);
    if (!j.contains("layers") || !j["layers"].is_array())
      throw Error(mwhat + ": no \"layers\" list");
    if (!diff_ids.empty() && diff_ids.size() != j["layers"].size())
      throw Error(cwhat + ": " + std::to_string(diff_ids.size()) + " diff_ids for " +
                  std::to_string(j["layers"].size()) + " layers");
    size_t i = 0;
    for (const auto& l : j["layers"]) {
      Descriptor ld = descriptor(l, mwhat + ": layer");
      LayerRef ref;
      ref.display = "layer " + short_digest(ld.hex);
      ref.allowed = {layer_compression(ld.media_type, path + ": " + ref.display)};
      ref.bundle_name = "blobs/sha256/" + ld.hex;
      ref.digest_hex = ld.hex;
      ref.size = ld.size;
      if (!diff_ids.empty()) ref.diff_id_hex = diff_ids[i];
      if (!b.resolve(ref.bundle_name))
        throw Error(path + ": " + ref.display + ": blob " + ref.bundle_name + " is missing");
      out.layers.push_back(ref);
      ++i;
    }
    out.description = "OCI image layout " + path + (tag ? " tag " + *tag : std::string()) +
                      " (manifest sha256:" + chosen.hex + ", " + std::to_string(out.layers.size()) +
                      " layer" + (out.layers.size() == 1 ? "" : "s") + ")";
    return out;
  }
}

}  // namespace policy::image
