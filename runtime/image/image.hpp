// Container images for policyrun: detect the kind of image by its content, verify every digest,
// unpack each layer safely into a cache keyed by digest, and return the read-only layer
// directories (lowest first) that the launch stacks with overlayfs. See docs/images.md.
#pragma once

#include <string>
#include <vector>

namespace policy::image {

// The parts of an image config (OCI / Docker "config" object) that decide how the process starts.
struct ImageConfig {
  std::vector<std::string> env;         // "KEY=value", in image order
  std::vector<std::string> entrypoint;  // empty when the image has none
  std::vector<std::string> cmd;
  std::string working_dir;  // empty: "/"
  std::string user;         // "uid", "uid:gid", "name", "name:group" or empty
};

struct CacheOptions {
  std::string root = "/var/lib/policyrun";  // layers/, meta/, tmp/ live below it
};

enum class ImageKind { DockerArchive, OciLayout, RootfsTarball, RootfsDirectory };

struct PreparedImage {
  // Read-only layer directories, lowest first. Cached layers live in
  // <root>/layers/sha256/<digest>/ with whiteouts already in overlayfs form (char device 0:0,
  // trusted.overlay.opaque=y). For a rootfs directory: the directory itself, unchanged.
  std::vector<std::string> layer_dirs;
  ImageConfig config;
  ImageKind kind = ImageKind::RootfsDirectory;
  std::string description;            // one line for humans: kind, path, tag, digest, layers
  std::vector<std::string> warnings;  // skipped device nodes, dropped xattrs, ...
};

// image_ref: a path (directory or archive), optionally followed by ":TAG" to pick one image out
// of several (like skopeo's oci:DIR:TAG). A path that exists as written wins over splitting.
// Throws policy::Error naming the archive, the entry and the reason on any refusal.
PreparedImage prepare_image(const std::string& image_ref, const CacheOptions& options = {});

// Removes temporary unpack directories under <root>/tmp left by runs that died. A directory a
// live run is still writing is kept (each writer holds an flock on its tmp dir).
void gc_tmp(const CacheOptions& options = {});

// Parses the config JSON of an OCI or Docker image (the object with "config", "rootfs").
// `what` names the file in error messages.
ImageConfig parse_image_config(const std::string& json_text, const std::string& what);

}  // namespace policy::image
