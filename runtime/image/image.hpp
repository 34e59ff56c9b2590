// Container images for policyrun: detect the kind of image by its content, verify every digest,
// unpack each layer safely into a cache keyed by digest, and return the read-only layer
// directories (lowest first) that the launch stacks with overlayfs. See docs/images.md.
#pragma once

#include <cstdint>
#include <optional>
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

// Bounds on the work an untrusted image may cause while it is unpacked (docs/images.md,
// "Limits"): no real image reaches the defaults; a bomb is refused while it is read, before it
// fills the disk. Each has a key for policyrun's --image-limit KEY=VALUE.
struct UnpackLimits {
  uint64_t max_bytes = 32ull << 30;        // size: file data of all layers unpacked for the image
  uint64_t max_entry_bytes = 32ull << 30;  // entry-size: one file
  uint64_t max_entries = 1'000'000;        // entries: tar entries of all layers unpacked for it
  uint64_t max_ratio = 100;                // ratio: decompressed / compressed bytes of a stream...
  uint64_t ratio_floor = 256ull << 20;     // ratio-floor: ...once it decompressed this much
  uint64_t max_path = 4095;                // path: bytes of an entry's name
  uint64_t max_depth = 256;                // depth: components of an entry's name
  // free, free-inodes: what unpacking leaves free on the cache's file system. nullopt: 1 GiB
  // (10,000 inodes), or 5% of the file system when that is less.
  std::optional<uint64_t> min_free_bytes;
  std::optional<uint64_t> min_free_inodes;
};

// Applies "KEY=VALUE[,KEY=VALUE...]" (policyrun --image-limit) to `limits`. Sizes take a K, M, G
// or T suffix (powers of 1024); "unlimited" lifts a maximum. Throws policy::Error naming the key.
void parse_image_limits(const std::string& spec, UnpackLimits& limits);

struct CacheOptions {
  std::string root = "/var/lib/policyrun";  // layers/, meta/, tmp/ live below it
  UnpackLimits limits = {};
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

// Refuses, before any work, an image or cache root the launch could not use safely: a cache
// root (--root) whose path overlayfs options cannot express (',', ':' or a backslash), and a rootfs
// directory image that is the host's "/", holds such a character, contains the cache root or
// lies inside it. prepare_image calls it first; policyrun calls it before compiling the policy.
void check_image_ref(const std::string& image_ref, const CacheOptions& options = {});

// Removes temporary unpack directories under <root>/tmp left by runs that died. A directory a
// live run is still writing is kept (each writer holds an flock on its tmp dir).
void gc_tmp(const CacheOptions& options = {});

// Parses the config JSON of an OCI or Docker image (the object with "config", "rootfs").
// `what` names the file in error messages.
ImageConfig parse_image_config(const std::string& json_text, const std::string& what);

}  // namespace policy::image
