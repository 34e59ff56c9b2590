// Turns verified layer references into cached, unpacked layer directories.
#include <map>

#include "compiler/common/error.hpp"
#include "runtime/image/digest.hpp"
#include "runtime/image/formats.hpp"
#include "runtime/image/unpack.hpp"

namespace policy::image {

namespace {

// A cached layer serves a reference when it is the promised blob, or — for a docker-save layer
// without a digest in its name — when the blob stored under the diff_id was itself that
// uncompressed tar.
std::optional<std::string> cached_dir(const LayerRef& ref, LayerCache& cache,
                                      const std::string& path) {
  std::optional<std::string> key = ref.digest_hex ? ref.digest_hex : ref.diff_id_hex;
  if (!key) return std::nullopt;
  auto dir = cache.lookup(*key);
  if (!dir) return std::nullopt;
  auto recorded = cache.diff_id(*key);
  if (!recorded) return std::nullopt;  // no record of its content: unpack again to learn it
  if (ref.diff_id_hex && *recorded != *ref.diff_id_hex) {
    if (!ref.digest_hex) return std::nullopt;
    throw Error(path + ": " + ref.display + ": the config's diff_id sha256:" + *ref.diff_id_hex +
                " does not match the layer's uncompressed content (sha256:" + *recorded +
                "); refusing the image");
  }
  if (!ref.digest_hex && *recorded != *key) return std::nullopt;
  return dir;
}

}  // namespace

std::vector<std::string> materialize_layers(Bundle& bundle, const std::vector<LayerRef>& layers,
                                            LayerCache& cache, std::vector<std::string>& warnings) {
  const std::string& path = bundle.path();
  std::vector<std::string> dirs(layers.size());
  std::map<std::string, std::vector<size_t>> missing;  // bundle name -> layer indexes
  std::vector<std::string> order;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (auto dir = cached_dir(layers[i], cache, path)) {
      dirs[i] = *dir;
      continue;
    }
    if (!missing.count(layers[i].bundle_name)) order.push_back(layers[i].bundle_name);
    missing[layers[i].bundle_name].push_back(i);
  }
  if (order.empty()) return dirs;
  bundle.stream_files(order, [&](const std::string& name, ByteSource& src) {
    const LayerRef& ref = layers[missing.at(name).front()];
    std::string ctx = path + ": " + ref.display;
    std::string dir = cache.store([&](int fd) {
      UnpackBudget& budget = cache.budget();
      budget.begin_layer(ctx);
      TarStream ts(src, ref.allowed, ctx,
                   [&](uint64_t out, uint64_t in) { budget.expansion(out, in); });
      unpack_layer(ts, fd, ctx, warnings, budget);
      ts.finish();
      if (ref.digest_hex && ts.compressed_sha256() != *ref.digest_hex)
        throw Error(path + ": layer sha256:" + *ref.digest_hex +
                    ": digest mismatch (content is sha256:" + ts.compressed_sha256() +
                    "); refusing the image");
      if (ref.size && ts.compressed_size() != *ref.size)
        throw Error(ctx + ": size mismatch (descriptor " + std::to_string(*ref.size) + ", blob " +
                    std::to_string(ts.compressed_size()) + " bytes); refusing the image");
      if (ref.diff_id_hex && ts.uncompressed_sha256() != *ref.diff_id_hex)
        throw Error(ctx + ": the config's diff_id sha256:" + *ref.diff_id_hex +
                    " does not match the layer's uncompressed content (sha256:" +
                    ts.uncompressed_sha256() + "); refusing the image");
      return StoredLayer{ts.compressed_sha256(), ts.uncompressed_sha256()};
    });
    for (size_t i : missing.at(name)) dirs[i] = dir;
  });
  return dirs;
}

}  // namespace policy::image
