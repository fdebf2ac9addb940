// Pruning snapshots. A committed snapshot is a cache of unpacked layers: any of them can be
// made again from the blobs (BuildStore::ensure_snapshot unpacks what is missing), so `mybuild
// prune` removes every one that no tagged image's layer chain names, leaves first (an overlay
// child lists its parents as lowerdirs, so a parent goes only after its children).
//
// Builds and `mybuild run` mount snapshots for their whole life, so they hold
// <root>/snapshots.lock shared (SnapshotsInUse); prune takes it exclusive without waiting and,
// when any of them runs, keeps every snapshot and says so rather than race a mount.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/unique_fd.h"

namespace mybuild::builder {

class SnapshotsInUse {
 public:
  // Shared: waits while a prune is removing snapshots (seconds at most).
  static SnapshotsInUse shared(const std::filesystem::path& root);
  // Exclusive, or nullopt at once when a build or run holds it.
  static std::optional<SnapshotsInUse> try_exclusive(const std::filesystem::path& root);

 private:
  explicit SnapshotsInUse(common::UniqueFd fd) : fd_(std::move(fd)) {}
  common::UniqueFd fd_;  // the flock goes with the descriptor
};

struct SnapshotPruneResult {
  int64_t removed = 0;  // (or, on a dry run, that would be)
  int64_t kept = 0;
  int64_t bytes_removed = 0;
  bool busy = false;  // a build or run was using the snapshots: nothing was removed
};

SnapshotPruneResult prune_snapshots(const std::filesystem::path& root, bool dry_run);

}  // namespace mybuild::builder
