#include "builder/prune.h"

#include <system_error>

#include "builder/stage/build_cache.h"
#include "builder/stage/snapshot_prune.h"
#include "common/error.h"
#include "image/layer_convert.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/gc.h"

namespace mybuild::builder {

PruneResult prune_store(const std::filesystem::path& root, const PruneOptions& options) {
  PruneResult result;
  std::error_code ec;
  if (!std::filesystem::exists(root / "oci", ec)) return result;
  try {
    snapshot::ContentStore content(root);
    snapshot::Database db(snapshot::metadata_path(root));
    snapshot::GarbageCollector gc(content, db);
    // Layers the build cache refers to stay: a cache hit reuses them without rebuilding.
    gc.add_roots("build cache", [](snapshot::Database& d) { return BuildCache::roots(d); });
    // Layers converted for a push or export stay while their source does (layer_convert.h):
    // what the roots above reach is marked first, then the conversions of those sources.
    gc.add_roots("layer conversions", [&content](snapshot::Database& d) {
      snapshot::GarbageCollector sources(content, d);
      sources.add_roots("build cache",
                        [](snapshot::Database& dd) { return BuildCache::roots(dd); });
      return image::conversion_roots(d, sources.mark());
    });
    auto report = gc.collect({.dry_run = options.dry_run});
    if (!options.dry_run) image::forget_stale_conversions(db, content);
    for (const auto& blob : report.removed) result.removed.push_back(blob.digest.str());
    result.bytes_removed = report.bytes_removed;
    result.blobs_kept = report.blobs_kept;
    result.ingest_removed = report.ingest_removed;
    result.leases_expired = report.leases_expired;
    SnapshotPruneResult snaps = prune_snapshots(root, options.dry_run);
    result.snapshots_removed = snaps.removed;
    result.snapshot_bytes_removed = snaps.bytes_removed;
    result.snapshots_busy = snaps.busy;
  } catch (common::Error& e) {
    e.add_context("pruning " + root.string());
    throw;
  }
  return result;
}

}  // namespace mybuild::builder
