// --cache-from: the caches a build may take step results from besides its own store, read once
// when the build starts (records only; builder/stage/cache_export.h writes them).
//
// Lazy, as BuildKit's remote cache: a hit takes the record's layer as the cache names it (the
// compressed blob, with its diff_id) without fetching it. The blob comes into the content store
// only when something needs its bytes: a later step that runs unpacks the layers under it
// (BuildStore::fetch_missing calls fetch()), an output writes them, or a push to another
// registry uploads them. A push to the cache's own registry mounts them (remote_blobs()).
//
// A cache that does not exist is a warning (the first CI run has none); one that cannot be read
// (a corrupt manifest or record list) is an error message naming it, and the build goes on
// without it. Thread-safe: stages look up and fetch from several threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "builder/build_request.h"
#include "builder/progress.h"
#include "builder/stage/build_cache.h"
#include "image/cache_transfer.h"
#include "image/push.h"
#include "registry/client.h"
#include "snapshot/content_store.h"

namespace mybuild::builder {

struct ImportedCacheMount {
  image::CacheMountEntry entry;
  std::string source;  // the cache's ref or directory, for messages
};

class CacheImports {
 public:
  CacheImports(const BuildRequest& request, const snapshot::ContentStore& content,
               common::CancelToken& cancel);
  ~CacheImports();

  // Reads every --cache-from; reports what it found, or why not, through `progress`. An inline
  // cache is read once per platform built: each platform's image config carries its own records.
  void load(ProgressSink& progress, std::span<const common::Platform> platforms);

  bool empty() const { return records_.empty(); }
  // The record for `key` in the first cache that has it (created_at, inputs and layer as it
  // was exported; locator empty).
  std::optional<CacheRecord> lookup(const std::string& key) const;
  // The cache mount `id` (--cache-to cache-mounts=) in the first cache that has it; its layer
  // is fetched (fetch()) only when a step restores it (builder/run/cache_restore.h).
  std::optional<ImportedCacheMount> cache_mount(const std::string& id) const;
  // True the first time `dir` asks in this build: a cache-mount directory is restored once.
  bool first_restore(const std::string& dir);
  // Brings `blob` into the content store from the cache that lists it. False when no cache
  // does (the caller then reports the blob missing as it did before).
  bool fetch(const common::Descriptor& blob);
  // Fetches the layers of `layers` that the store lacks, except (with `keep_remote`) those a
  // registry cache holds, which a push mounts instead. False when such a layer stayed remote
  // (the image must then not be named in the store, whose names need every blob).
  bool ensure(const std::vector<image::LayerRef>& layers, bool keep_remote);
  // For a push: where each imported layer is, and fetch() for the rest.
  const image::RemoteBlobs* remote_blobs();
  int64_t bytes_fetched() const { return bytes_fetched_; }

 private:
  registry::Client& client();
  // One --cache-from read for `platform`; nullopt (reported through `progress`) when there is
  // none or it cannot be read.
  std::optional<image::ImportedCache> read(const image::CacheSpec& spec,
                                           const common::Platform& platform,
                                           ProgressSink& progress);
  // One cache's records, layers and mounts, added behind those loaded before.
  void add(ProgressSink& progress, const std::string& name, image::ImportedCache cache);

  const BuildRequest& request_;
  const snapshot::ContentStore& content_;
  common::CancelToken& cancel_;
  std::unique_ptr<registry::Client> client_;
  std::vector<image::ImportedCache> caches_;
  std::map<std::string, std::pair<size_t, image::CacheEntry>> records_;      // key -> cache, entry
  std::map<common::Digest, size_t> blobs_;                                   // blob -> cache
  std::map<std::string, std::pair<size_t, image::CacheMountEntry>> mounts_;  // id -> ...
  std::set<std::string> restored_;  // cache-mount dirs (restore_mu_)
  std::mutex restore_mu_;
  image::RemoteBlobs remote_;
  std::mutex mu_;  // one fetch at a time; the client is thread-safe, the maps are read-only
  int64_t bytes_fetched_ = 0;
};

}  // namespace mybuild::builder
