#include "builder/reclaim.h"

#include <string>
#include <system_error>
#include <vector>

#include "builder/stage/snapshot_prune.h"
#include "common/log.h"
#include "common/process_owner.h"
#include "sandbox/records.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/leases.h"
#include "snapshot/mount_ops.h"
#include "snapshot/snapshotter.h"

namespace mybuild::builder {
namespace {

namespace fs = std::filesystem;

bool is_dir(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

// <root>/tmp/mybuild-<what>-<pid>.<start>-XXXXXX of processes that are gone. A scratch
// directory may have a mount on it (a bind a step was given), so unmount before deleting:
// remove_all through a live bind would delete the source's files.
int reclaim_temp_dirs(const fs::path& tmp) {
  std::vector<fs::path> dead;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(tmp, ec)) {
    auto owner = common::owner_in_name(entry.path().filename().string());
    if (owner && !owner->alive()) dead.push_back(entry.path());
  }
  int removed = 0;
  for (const auto& path : dead) {
    try {
      snapshot::unmount_tree(path);
      fs::remove_all(path);
      common::log::info("removed " + path.string() + ", left by an exited mybuild");
      ++removed;
    } catch (const std::exception& e) {
      common::log::warn("removing " + path.string() + ": " + e.what());
    }
  }
  return removed;
}

int64_t count_unfinished_snapshots(snapshot::Database& db) {
  auto table =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'");
  if (!table.step()) return 0;
  auto st = db.prepare("SELECT COUNT(*) FROM snapshots WHERE kind != 'committed'");
  return st.step() ? st.column_int(0) : 0;
}

// Opening a snapshotter runs its crash recovery (snapshot/snapshotter.h). Only drivers that
// have been used here are opened: "auto" would probe an overlay mount on every command.
int reclaim_snapshots(const fs::path& root, snapshot::Database& db) {
  int64_t before = count_unfinished_snapshots(db);
  if (before == 0 && !is_dir(root / "snapshots")) return 0;
  auto in_use = SnapshotsInUse::shared(root);  // not while a prune removes snapshots
  for (const char* driver : {"overlay", "native"}) {
    if (is_dir(root / "snapshots" / driver)) snapshot::make_snapshotter(driver, root, db);
  }
  return static_cast<int>(before - count_unfinished_snapshots(db));
}

}  // namespace

ReclaimResult reclaim_dead(const fs::path& root) {
  ReclaimResult result;
  if (!is_dir(root)) return result;
  result.sandbox_runs = sandbox::clean_stale_runs(root / "run" / "sandbox");
  result.temp_dirs = reclaim_temp_dirs(root / "tmp");
  if (is_dir(root / "ingest")) result.ingests = snapshot::ContentStore(root).clean_ingest();
  if (!fs::exists(snapshot::metadata_path(root))) return result;
  snapshot::Database db(snapshot::metadata_path(root));
  result.leases = static_cast<int>(snapshot::Leases(db).release_dead_owners().size());
  result.snapshots = reclaim_snapshots(root, db);
  if (result.total() > 0) {
    common::log::info(
        "reclaimed what exited mybuild processes left in " + root.string() + ": " +
        std::to_string(result.snapshots) + " snapshots, " + std::to_string(result.sandbox_runs) +
        " sandbox runs, " + std::to_string(result.temp_dirs) + " temp dirs, " +
        std::to_string(result.ingests) + " ingests, " + std::to_string(result.leases) + " leases");
  }
  return result;
}

}  // namespace mybuild::builder
