// The store maintenance commands the CLI offers besides `build` (`mybuild prune`), as thin
// functions over snapshot/: the CLI may include only builder/ and common/ (STYLE.md §1), and
// the builder is where other roots (its build cache records) get wired into the collector.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mybuild::builder {

struct PruneOptions {
  bool dry_run = false;  // say what would go, remove nothing
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
};

// Removes every blob of the store at `root` that no tag, live lease or registered root
// reaches (snapshot/gc.h), then every snapshot no tagged image needs, unless a build or run is
// using them. A root that does not exist yet has nothing to prune and is not
// created. Safe while other mybuild processes use the root.
PruneResult prune_store(const std::filesystem::path& root, const PruneOptions& options);

}  // namespace mybuild::builder
