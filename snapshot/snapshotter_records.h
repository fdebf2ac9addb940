// The snapshotters' records in SQLite (table `snapshots`, migrated as component
// "snapshotter"): one row per snapshot, keyed by (driver, key). The row's id names the
// snapshot's directory. Every method that changes rows runs in its own transaction, so two
// processes on one root see each other's snapshots consistently. Internal to the snapshotters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapshot/snapshotter.h"
#include "snapshot/snapshotter_tree.h"

namespace mybuild::snapshot {

class Database;

struct SnapshotRecord {
  int64_t id = 0;
  std::string key;
  SnapshotKind kind = SnapshotKind::kActive;
  std::optional<int64_t> parent_id;
  std::string parent_key;  // filled by find()/list()
  int64_t created_ns = 0;
  std::optional<int64_t> owner_pid;    // active and view: the process that made it
  std::optional<int64_t> owner_start;  // its start time (/proc/<pid>/stat), against pid reuse
  std::optional<TreeUsage> usage;      // measured at commit

  SnapshotInfo info() const;
};

class SnapshotRecords {
 public:
  SnapshotRecords(Database& db, std::string driver);

  std::optional<SnapshotRecord> find(std::string_view key);
  std::optional<SnapshotRecord> find_id(int64_t id);
  // Adds an active snapshot or view owned by this process. Checks (in the same transaction)
  // that `key` is free and `parent` ("" for none) is committed.
  SnapshotRecord insert(std::string_view key, SnapshotKind kind, std::string_view parent);
  // Turns active `key` into committed `name`.
  void commit(std::string_view key, std::string_view name, const TreeUsage& usage);
  // Deletes the row of `key`, refusing when it has children; returns what was deleted.
  SnapshotRecord erase(std::string_view key);
  void erase_id(int64_t id);
  // The committed ancestors of `record`, nearest first.
  std::vector<SnapshotRecord> parents(const SnapshotRecord& record);
  std::vector<SnapshotRecord> list();
  // Active snapshots and views whose owning process no longer exists.
  std::vector<SnapshotRecord> abandoned();

 private:
  Database& db_;
  std::string driver_;
};

// This process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or
// nullopt when the process does not exist.
std::optional<int64_t> process_start_time(int64_t pid);

}  // namespace mybuild::snapshot
