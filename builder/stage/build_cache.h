// The build cache: step cache key -> the layer that step produced, in the store's SQLite
// (table `build_cache`), so hits survive restarts and are shared by concurrent builds.
//
// A key (builder/stage/step_cache.cc) is a digest over everything that can change a step's result:
// the parent filesystem (by chain id, so a rebuilt step that produced the same layer keeps the
// steps after it cached: early cut-off), the instruction after expansion, the environment and
// user it runs with, and for COPY/ADD the checksum of the files read. Each record also keeps
// the step's inputs by name, and the last record per Dockerfile location is found again by
// `locator`, so a miss can say which input changed (--explain-cache).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "builder/stage/build_store.h"
#include "common/descriptor.h"
#include "snapshot/database.h"

namespace mybuild::builder {

struct CacheRecord {
  std::string key;
  std::optional<image::LayerRef> layer;  // nullopt: the step changed nothing (empty layer)
  std::string locator;                   // "<dockerfile>:<stage>:<instruction index>"
  std::string inputs;                    // JSON object: input name -> value or digest
  int64_t created_at = 0;
};

class BuildCache {
 public:
  explicit BuildCache(snapshot::Database& db);  // creates the table on first use
  std::optional<CacheRecord> lookup(const std::string& key);
  void store(const CacheRecord& record);
  // The newest record made for `locator`, to explain a miss.
  std::optional<CacheRecord> last_for(const std::string& locator);
  // Layer digests the cache refers to: roots for garbage collection.
  static std::vector<common::Descriptor> roots(snapshot::Database& db);

 private:
  snapshot::Database& db_;
};

// Whether --cache-ttl lets a record be used at `now` (unix seconds): its created_at (when the
// step ran; imported records carry it as createdAt) is no more than `ttl` seconds ago. No ttl:
// always.
bool within_cache_ttl(const CacheRecord& record, std::optional<int64_t> ttl, int64_t now);

// Compares the inputs of a miss with the last record of the same locator: "instruction
// changed: ...", "build arg FOO changed", "files read changed: src/main.c", or "no earlier
// build of this step".
std::string explain_miss(const std::string& inputs_json, const std::optional<CacheRecord>& last);

}  // namespace mybuild::builder
