// --cache-to / --cache-from values, as `docker buildx build` spells them (buildx
// util/buildflags/cache.go): one comma-separated list of key=value fields.
//
//   type=registry,ref=REG/REPO:TAG[,mode=min|max][,compression=gzip|zstd|none][,ignore-error=true]
//   type=local,dest=DIR (export) | type=local,src=DIR (import): an OCI layout directory
//   type=inline: the cache records ride in the image config (export); ref=IMAGE to import
//
// A bare value with no '=' is buildx's shorthand for type=registry,ref=VALUE. Fields split as
// CSV (Go's encoding/csv, as buildx): a field in double quotes may hold commas.
//
// mybuild's own field, for registry and local exports: cache-mounts=ID[;ID...] exports the
// named RUN --mount=type=cache directories (the mount's id=, or its target when it has no id,
// as BuildKit defaults the id) as layers of the cache; --cache-from restores them. IDs are
// separated by ';', or by ',' when the field is quoted ("cache-mounts=a,b"); the key may
// repeat and the lists add up. An id holding ';' cannot be named.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mybuild::image {

enum class CacheMode { kMin, kMax };

struct CacheSpec {
  std::string type;  // registry | local | inline
  std::string ref;   // registry (and inline import): the cache image reference
  std::string dir;   // local: dest= for export, src= for import
  CacheMode mode = CacheMode::kMin;
  std::optional<std::string> compression;  // compression=, else the build's --compression
  int compression_level = -1;
  bool ignore_error = false;                 // export: a failure is a warning
  std::vector<std::string> cache_mounts;     // cache-mounts= ids, in order, each once
  std::map<std::string, std::string> attrs;  // every field as written (the last of a key)
};

inline constexpr std::string_view kCacheMountsKey = "cache-mounts";

// `exporting` picks what type=local reads (dest= or src=). Throws Error(kUsage) naming the flag
// and the value for an unknown type, a missing ref/dest/src, or a bad mode.
CacheSpec parse_cache_spec(std::string_view text, bool exporting);

// Kaniko's --cache-repo REPO: type=registry,ref=REPO:cache,mode=max (REPO may carry a tag).
CacheSpec cache_repo_spec(const std::string& repo);

// The media type of mybuild's cache record list (the config blob of a cache manifest).
inline constexpr std::string_view kCacheConfigMediaType =
    "application/vnd.mybuild.cache.config.v1+json";
// The image config key of inline cache records (BuildKit uses "moby.buildkit.cache.v0").
inline constexpr std::string_view kInlineCacheKey = "mybuild.cache.v1";

}  // namespace mybuild::image
