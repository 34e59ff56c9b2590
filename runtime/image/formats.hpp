// Internal: what the format readers (OCI layout, docker save) hand to the layer materialiser.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/image/bundle.hpp"
#include "runtime/image/cache.hpp"
#include "runtime/image/image.hpp"

namespace policy::image {

struct LayerRef {
  std::string bundle_name;                 // resolved file name inside the bundle
  std::optional<std::string> digest_hex;   // the blob digest the file must have, when known
  std::optional<uint64_t> size;            // the declared blob size (OCI descriptors)
  std::optional<std::string> diff_id_hex;  // sha256 of the uncompressed tar (image config)
  std::vector<Compression> allowed;        // compressions accepted for this blob
  std::string display;                     // "layer sha256:ab12cd34ef56" for messages
};

struct ResolvedImage {
  std::vector<LayerRef> layers;  // lowest first
  ImageConfig config;
  std::string description;
};

bool is_docker_archive(Bundle& bundle);
bool is_oci_layout(Bundle& bundle);
ResolvedImage resolve_docker_archive(Bundle& bundle, const std::optional<std::string>& tag);
ResolvedImage resolve_oci_layout(Bundle& bundle, const std::optional<std::string>& tag);

// Verifies and unpacks every layer not yet cached; returns the cached dirs, in order.
std::vector<std::string> materialize_layers(Bundle& bundle, const std::vector<LayerRef>& layers,
                                            LayerCache& cache, std::vector<std::string>& warnings);

// The image config's rootfs.diff_ids as hex (empty when absent); throws on a malformed one.
std::vector<std::string> config_diff_ids(const std::string& config_json, const std::string& what);

// The OCI/Go name of this machine's architecture ("amd64", "arm64", ...).
std::string host_oci_architecture();

}  // namespace policy::image
