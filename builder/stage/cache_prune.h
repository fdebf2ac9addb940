// Dropping build cache by age and by size, for runners with small disks (`mybuild prune
// --filter until=24h`, `--keep-storage 5GB`, docker builder prune's flags). What can go, least
// recently used first:
//   - cache records (table build_cache): last_used, set by a hit (to the hour: a hit within
//     the hour of the last one writes nothing, build_cache.cc), else created_at. A
//     dropped record's layer goes with the next collection unless a tag or another record
//     still reaches it;
//   - cache-mount directories (<root>/cache-mounts/<id>): their mtime, which each RUN that
//     mounts one sets (acquire_cache_instance), and which writing into them moves too.
// Snapshots no tag needs are dropped by every prune already (snapshot_prune.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "snapshot/database.h"

namespace mybuild::builder {

struct CacheItem {
  // kGitCheckout: <root>/git/commits/<entry> (builder/context/git_fetch.h), fetched again when
  // a build needs it.
  enum class Kind { kRecord, kMountDir, kGitCheckout };
  Kind kind = Kind::kRecord;
  std::string id;         // the record's key, or the directory's path
  int64_t last_used = 0;  // seconds since 1970
  int64_t bytes = 0;      // what dropping it is expected to free (0 for a shared layer)
};

// Every record and (with `mounts`) cache-mount directory and git checkout, oldest first. Records
// that share a layer count its bytes on the newest of them only: dropping an older one frees
// nothing.
std::vector<CacheItem> cache_items(snapshot::Database& db, const std::filesystem::path& root,
                                   bool mounts);

// Removes `item` (a record row, or the directory tree). Not on a dry run.
void drop_cache_item(snapshot::Database& db, const CacheItem& item);

// Bytes the store at `root` takes on disk (regular files, each inode once).
int64_t store_usage(const std::filesystem::path& root);

}  // namespace mybuild::builder
