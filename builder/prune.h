// The store maintenance commands the CLI offers besides `build` (`mybuild prune`), as thin
// functions over snapshot/: the CLI may include only builder/ and common/ (STYLE.md §1), and
// the builder is where other roots (its build cache records) get wired into the collector.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mybuild::builder {

struct PruneOptions {
  bool dry_run = false;  // say what would go, remove nothing
  // --filter until=24h: cache records and cache-mount directories unused for longer go.
  std::optional<std::chrono::seconds> until = std::nullopt;
  // --keep-storage SIZE: after the usual collection, the least recently used cache records
  // and cache-mount directories go until the store takes at most this many bytes (or nothing
  // droppable is left: tagged images stay).
  std::optional<int64_t> keep_storage = std::nullopt;
};

struct PruneResult {
  std::vector<std::string> removed;  // digests, in digest order
  int64_t bytes_removed = 0;
  int64_t blobs_kept = 0;
  int ingest_removed = 0;  // temp files of crashed writers
  int64_t leases_expired = 0;
  // Snapshots no tagged image needs (builder/stage/snapshot_prune.h): unpacked again when used.
  int64_t snapshots_removed = 0;
  int64_t snapshot_bytes_removed = 0;
  bool snapshots_busy = false;  // a build or run held them: none removed
  int64_t cache_records_removed = 0;
  int64_t cache_mounts_removed = 0;   // kept, like snapshots, while a build or run is going
  int64_t git_checkouts_removed = 0;  // <root>/git/commits entries; kept like cache mounts
  int64_t store_bytes = 0;            // what the store takes afterwards (with --keep-storage)
};

// Removes every blob of the store at `root` that no tag, live lease or registered root
// reaches (snapshot/gc.h), then every snapshot no tagged image needs, unless a build or run is
// using them. With `until` or `keep_storage`, cache records and cache-mount directories go
// first, least recently used first (builder/stage/cache_prune.h). A root that does not exist yet
// has nothing to prune and is not created. Safe while other mybuild processes use the root.
PruneResult prune_store(const std::filesystem::path& root, const PruneOptions& options);

}  // namespace mybuild::builder
