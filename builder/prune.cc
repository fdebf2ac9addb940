#include "builder/prune.h"

#include <ctime>
#include <system_error>

#include "builder/stage/build_cache.h"
#include "builder/stage/cache_prune.h"
#include "builder/stage/snapshot_prune.h"
#include "common/error.h"
#include "image/layer_convert.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/gc.h"

namespace mybuild::builder {

namespace {

// One collection: unreachable blobs, then the snapshots no tag needs.
void collect(const std::filesystem::path& root, snapshot::ContentStore& content,
             snapshot::Database& db, bool dry_run, PruneResult& result) {
  snapshot::GarbageCollector gc(content, db);
  // Layers the build cache refers to stay: a cache hit reuses them without rebuilding.
  gc.add_roots("build cache", [](snapshot::Database& d) { return BuildCache::roots(d); });
  // Layers converted for a push or export stay while their source does (layer_convert.h):
  // what the roots above reach is marked first, then the conversions of those sources.
  gc.add_roots("layer conversions", [&content](snapshot::Database& d) {
    snapshot::GarbageCollector sources(content, d);
    sources.add_roots("build cache", [](snapshot::Database& dd) { return BuildCache::roots(dd); });
    return image::conversion_roots(d, sources.mark());
  });
  auto report = gc.collect({.dry_run = dry_run});
  if (!dry_run) image::forget_stale_conversions(db, content);
  for (const auto& blob : report.removed) result.removed.push_back(blob.digest.str());
  result.bytes_removed += report.bytes_removed;
  result.blobs_kept = report.blobs_kept;
  result.ingest_removed += report.ingest_removed;
  result.leases_expired += report.leases_expired;
  SnapshotPruneResult snaps = prune_snapshots(root, dry_run);
  result.snapshots_removed += snaps.removed;
  result.snapshot_bytes_removed += snaps.bytes_removed;
  result.snapshots_busy = result.snapshots_busy || snaps.busy;
}

void count_drop(const CacheItem& item, PruneResult& result) {
  if (item.kind == CacheItem::Kind::kRecord) {
    ++result.cache_records_removed;
    return;
  }
  ++(item.kind == CacheItem::Kind::kMountDir ? result.cache_mounts_removed
                                             : result.git_checkouts_removed);
  result.bytes_removed += item.bytes;
}

// Drops the items `pick` chooses, oldest first. Cache-mount directories only while no build or
// run holds the snapshots lock (one might be writing into them).
template <class Pick>
void drop_items(const std::filesystem::path& root, snapshot::Database& db, bool dry_run,
                PruneResult& result, Pick pick) {
  auto lock = SnapshotsInUse::try_exclusive(root);
  for (const CacheItem& item : cache_items(db, root, lock.has_value())) {
    if (!pick(item)) break;
    if (!dry_run) drop_cache_item(db, item);
    count_drop(item, result);
  }
}

}  // namespace

PruneResult prune_store(const std::filesystem::path& root, const PruneOptions& options) {
  PruneResult result;
  std::error_code ec;
  if (!std::filesystem::exists(root / "oci", ec)) return result;
  try {
    snapshot::ContentStore content(root);
    snapshot::Database db(snapshot::metadata_path(root));
    if (options.until) {
      const int64_t cutoff = static_cast<int64_t>(std::time(nullptr)) - options.until->count();
      drop_items(root, db, options.dry_run, result,
                 [cutoff](const CacheItem& item) { return item.last_used < cutoff; });
    }
    collect(root, content, db, options.dry_run, result);
    // Each round drops what should bring the store under the limit by the items' own sizes,
    // then collects and measures again (a layer a tag still reaches frees nothing).
    for (int round = 0; options.keep_storage && !options.dry_run && round < 16; ++round) {
      int64_t usage = store_usage(root);
      if (usage <= *options.keep_storage) break;
      auto dropped = [&result] {
        return result.cache_records_removed + result.cache_mounts_removed +
               result.git_checkouts_removed;
      };
      const int64_t dropped_before = dropped();
      drop_items(root, db, false, result, [&usage, &options](const CacheItem& item) {
        if (usage <= *options.keep_storage) return false;
        usage -= item.bytes;
        return true;
      });
      if (dropped() == dropped_before) break;
      collect(root, content, db, false, result);
    }
    if (options.keep_storage) result.store_bytes = store_usage(root);
  } catch (common::Error& e) {
    e.add_context("pruning " + root.string());
    throw;
  }
  return result;
}

}  // namespace mybuild::builder
