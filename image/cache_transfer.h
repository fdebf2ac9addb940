// Moving build cache records between a state root and where --cache-to / --cache-from keep
// them: a registry repository (a cache manifest, image/cache_records.h), an OCI layout
// directory (type=local), or an image's config (type=inline, import side here).
//
// Import is lazy: reading a cache fetches its manifest and record list only; a layer blob
// comes into the content store when fetch_cache_blob is asked for it (a step's filesystem, or
// an output, needs it). Export pushes with the image push's existence checks and cross-repo
// mounts (image/push.h), so a blob the registry has is never uploaded twice.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/descriptor.h"
#include "image/cache_records.h"
#include "image/push.h"
#include "registry/client.h"
#include "registry/reference.h"
#include "snapshot/content_store.h"

namespace mybuild::image {

struct ImportedCache {
  std::string source;  // the ref or directory, for messages
  std::vector<CacheEntry> entries;
  std::vector<CacheMountEntry> mounts;      // cache-mount layers, restored when a step uses the id
  std::optional<registry::Reference> repo;  // registry and inline: where its blobs are
  std::filesystem::path dir;                // local: the layout holding them
  bool per_platform = false;  // read from one platform's image config (an inline cache)
};

// nullopt when there is no such cache (the registry has no such tag; the directory has no
// index.json). kIntegrity, naming the source, when what is there is not a readable cache.
// A registry ref that names an ordinary image (an index, or a manifest with an image config)
// gives that image's inline cache for `platform`, as BuildKit's registry importer does: the
// `--cache-from app:latest` of a pipeline that pushed with BUILDKIT_INLINE_CACHE=1.
std::optional<ImportedCache> fetch_registry_cache(registry::Client& client,
                                                  const registry::Reference& ref,
                                                  const common::Platform& platform);
std::optional<ImportedCache> fetch_inline_cache(registry::Client& client,
                                                const registry::Reference& ref,
                                                const common::Platform& platform);
std::optional<ImportedCache> read_local_cache(const std::filesystem::path& dir);

// Copies `blob` from the cache into the content store, verified while it streams.
void fetch_cache_blob(const ImportedCache& cache, registry::Client* client,
                      const snapshot::ContentStore& content, const common::Descriptor& blob);

// Writes the config and manifest into `content` and returns the manifest's descriptor.
common::Descriptor put_cache_manifest(const snapshot::ContentStore& content,
                                      const std::vector<CacheEntry>& entries,
                                      const std::vector<CacheMountEntry>& mounts);

// Pushes the cache manifest as `ref`; blobs not in `content` must be in `remote`.
PushReport push_registry_cache(const snapshot::ContentStore& content, registry::Client& client,
                               const registry::Reference& ref,
                               const std::vector<CacheEntry>& entries,
                               const std::vector<CacheMountEntry>& mounts,
                               const RemoteBlobs* remote, const PushLog& log = {});

// Writes an OCI layout at `dir` (index.json naming the cache manifest as "latest", every blob).
// `fetch` brings a blob missing from `content` into it first.
void write_local_cache(const snapshot::ContentStore& content, const std::filesystem::path& dir,
                       const std::vector<CacheEntry>& entries,
                       const std::vector<CacheMountEntry>& mounts,
                       const std::function<void(const common::Descriptor&)>& fetch);

}  // namespace mybuild::image
