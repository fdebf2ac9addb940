#include "builder/stage/cache_mount_export.h"

#include "builder/run/cache_instance.h"
#include "builder/stage/build_session.h"
#include "snapshot/layer_writer.h"

namespace mybuild::builder {

namespace {

bool has_files(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::is_directory(dir, ec) &&
         std::filesystem::directory_iterator(dir, ec) != std::filesystem::directory_iterator();
}

image::CacheMountEntry write_mount(BuildSession& s, const std::string& id,
                                   const image::LayerFormat& format,
                                   const std::function<void(std::string_view)>& log) {
  const std::filesystem::path root = s.store.root() / "cache-mounts";
  CacheInstance held = acquire_cache_instance(root, cache_mount_id_hash(id), "locked");
  snapshot::LayerOptions options;
  options.compression = format.compression;
  options.level = format.level;
  auto w = s.store.content().writer("cache mount " + id);
  snapshot::Layer layer = snapshot::write_tree_layer(held.dir(), *w, options);
  w->commit(layer.descriptor.size, layer.descriptor.digest);
  log("cache mount " + id + ": " + layer.descriptor.digest.str() + ", " +
      std::to_string(layer.descriptor.size) + " bytes (" + std::to_string(layer.uncompressed_size) +
      " uncompressed)");
  return {id, {layer.descriptor, layer.diff_id}};
}

}  // namespace

std::vector<image::CacheMountEntry> export_cache_mounts(
    BuildSession& s, const image::CacheSpec& spec, const image::LayerFormat& format,
    const std::function<void(std::string_view)>& log) {
  std::vector<image::CacheMountEntry> out;
  for (const std::string& id : spec.cache_mounts) {
    if (has_files(s.store.root() / "cache-mounts" / cache_mount_id_hash(id))) {
      out.push_back(write_mount(s, id, format, log));
    } else if (auto imported = s.imports ? s.imports->cache_mount(id) : std::nullopt) {
      log("cache mount " + id + ": unused here, carried over from " + imported->source);
      out.push_back(imported->entry);
    } else {
      s.progress.message("WARN: cache mount " + id +
                         " is empty or was never used in this state root: not exported");
    }
  }
  return out;
}

}  // namespace mybuild::builder
