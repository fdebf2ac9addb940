// The wire form of build cache records (--cache-to / --cache-from): what a cache image's config
// blob holds (media type kCacheConfigMediaType, image/cache_spec.h), and what an image config
// holds under kInlineCacheKey for type=inline.
//
// One record per step: the cache key (a digest of the step's inputs, builder/stage/
// step_cache.cc: nothing in it is local to the machine that computed it), the inputs by name
// (for --explain-cache), the step's history text and time, and its layer -- the diff_id and
// the compressed blob, which is one of the cache manifest's layers (or of the image's, inline).
// A step that changed nothing has no layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/descriptor.h"
#include "common/digest.h"
#include "image/layer_ref.h"

namespace mybuild::image {

struct CacheEntry {
  std::string key;
  std::string inputs;  // JSON object text
  std::string created_by;
  int64_t created_at = 0;
  std::optional<LayerRef> layer;  // blob: as the cache (or image) manifest lists it
};

// A RUN --mount=type=cache directory exported with the records (--cache-to cache-mounts=):
// its id as the Dockerfile names it, and its contents as one layer (diff_id: the digest of the
// uncompressed tar, the content digest a restore verifies).
struct CacheMountEntry {
  std::string id;
  LayerRef layer;
};

// {"records": [...], "cacheMounts": [...]} with layers as full descriptors. Deterministic: the same
// entries give the same bytes (so an unchanged cache re-exports to the same digest).
std::string encode_cache_records(const std::vector<CacheEntry>& entries,
                                 const std::vector<CacheMountEntry>& mounts = {});
// The inline form: layers by diff_id only (the image's own manifest has the blobs).
std::string encode_inline_records(const std::vector<CacheEntry>& entries);

// Parses either form; `what` names the source in errors (kIntegrity: "cache REF: ...").
// `layers` (inline): the image's layer blobs with their diff_ids, to fill each record's blob.
std::vector<CacheEntry> decode_cache_records(std::string_view json, const std::string& what,
                                             const std::vector<LayerRef>& layers = {});

// The cache mounts of a record list ("cacheMounts"; none in older caches). kIntegrity naming
// `what` when malformed: an empty or duplicate id, a bad digest.
std::vector<CacheMountEntry> decode_cache_mounts(std::string_view json, const std::string& what);

// The cache manifest: an OCI image manifest whose config is the record list and whose layers
// are the records' blobs, then the cache mounts', each once, in order (BuildKit's
// image-manifest=true layout).
std::string cache_manifest_json(const common::Descriptor& config,
                                const std::vector<CacheEntry>& entries,
                                const std::vector<CacheMountEntry>& mounts = {});

}  // namespace mybuild::image
