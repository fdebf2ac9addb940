#include "snapshot/snapshotter_base.h"

#include <sys/stat.h>

#include <cerrno>

#include "common/error.h"
#include "common/io.h"
#include "common/log.h"
#include "snapshot/mount_ops.h"
#include "snapshot/mount_table.h"
#include "snapshot/snapshotter_tree.h"

namespace mybuild::snapshot {
namespace {

using common::Error;
using common::ErrorKind;
namespace fs = std::filesystem;

std::optional<int64_t> parse_id(const std::string& name) {
  if (name.empty() || name.size() > 18) return std::nullopt;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(name);
}

}  // namespace

DirectorySnapshotter::DirectorySnapshotter(std::string driver, const fs::path& root, Database& db)
    : driver_(std::move(driver)), base_(root / "snapshots" / driver_), records_(db, driver_) {
  std::error_code ec;
  fs::create_directories(base_, ec);
  if (ec) throw Error(ErrorKind::kResource, "mkdir(" + base_.string() + "): " + ec.message());
  recover();
}

std::vector<common::Mount> DirectorySnapshotter::prepare(std::string_view key,
                                                         std::string_view parent) {
  return create(key, SnapshotKind::kActive, parent);
}

std::vector<common::Mount> DirectorySnapshotter::view(std::string_view key,
                                                      std::string_view parent) {
  return create(key, SnapshotKind::kView, parent);
}

std::vector<common::Mount> DirectorySnapshotter::create(std::string_view key, SnapshotKind kind,
                                                        std::string_view parent) {
  SnapshotRecord record = records_.insert(key, kind, parent);
  // The record comes first and the directory second, so a directory without a record is
  // always garbage (recover() relies on it); if we die in between, the record's owner is gone
  // and recovery removes it too.
  try {
    auto parents = records_.parents(record);
    common::make_dir(snapshot_dir(record.id), 0700);
    common::make_dir(snapshot_dir(record.id) / "rootfs", 0755);
    create_files(record, parents);
    return mounts_of(record, parents);
  } catch (...) {
    // Whatever failed (a copy, std::bad_alloc), neither the record nor the files may stay.
    try {
      remove_tree(snapshot_dir(record.id));
      records_.erase_id(record.id);
    } catch (const std::exception& cleanup) {
      common::log::warn(std::string("cleaning up a failed snapshot: ") + cleanup.what());
    }
    try {
      throw;
    } catch (Error& e) {
      e.add_context("creating " + std::string(to_string(kind)) + " snapshot \"" + std::string(key) +
                    "\"");
      throw;
    }
  }
}

SnapshotRecord DirectorySnapshotter::require(std::string_view key) {
  auto record = records_.find(key);
  if (!record) {
    throw Error(ErrorKind::kNotFound, "snapshot \"" + std::string(key) + "\" does not exist");
  }
  return *record;
}

std::vector<common::Mount> DirectorySnapshotter::mounts(std::string_view key) {
  SnapshotRecord record = require(key);
  if (record.kind == SnapshotKind::kCommitted) {
    throw Error(ErrorKind::kInternal,
                "snapshot \"" + std::string(key) + "\" is committed; mount a view of it");
  }
  return mounts_of(record, records_.parents(record));
}

// Committing a mounted snapshot would let writes through the mount change a snapshot that
// others now build on. Seen are mounts on its mount point and overlays using its upper dir.
void DirectorySnapshotter::check_unmounted(const SnapshotRecord& record) {
  auto table = read_mountinfo();
  std::string upper = "upperdir=" + fs::weakly_canonical(fs_dir(record.id)).string();
  bool mounted = !mounts_under(table, snapshot_dir(record.id)).empty();
  for (const auto& entry : table) {
    if (entry.fs_type == "overlay" && entry.super_options.find(upper) != std::string::npos) {
      mounted = true;
    }
  }
  if (mounted) {
    throw Error(ErrorKind::kInternal,
                "cannot commit snapshot \"" + record.key + "\": it is still mounted");
  }
}

void DirectorySnapshotter::commit(std::string_view name, std::string_view key) {
  try {
    SnapshotRecord record = require(key);
    if (record.kind == SnapshotKind::kActive) check_unmounted(record);
    records_.commit(key, name, tree_usage(fs_dir(record.id)));
  } catch (Error& e) {
    e.add_context("committing \"" + std::string(key) + "\" as \"" + std::string(name) + "\"");
    throw;
  }
}

void DirectorySnapshotter::remove(std::string_view key_or_name) {
  try {
    SnapshotRecord record = records_.erase(key_or_name);
    // The record is gone first: should the unmount or delete fail, the directory is an orphan
    // that the next open's recovery deletes.
    unmount_tree(snapshot_dir(record.id));
    remove_tree(snapshot_dir(record.id));
  } catch (Error& e) {
    e.add_context("removing snapshot \"" + std::string(key_or_name) + "\"");
    throw;
  }
}

std::optional<SnapshotInfo> DirectorySnapshotter::stat(std::string_view key_or_name) {
  auto record = records_.find(key_or_name);
  if (!record) return std::nullopt;
  return record->info();
}

SnapshotUsage DirectorySnapshotter::usage(std::string_view key_or_name) {
  SnapshotRecord record = require(key_or_name);
  TreeUsage usage = record.usage ? *record.usage : tree_usage(fs_dir(record.id));
  return SnapshotUsage{.bytes = usage.bytes, .inodes = usage.inodes};
}

void DirectorySnapshotter::walk(const std::function<void(const SnapshotInfo&)>& visit) {
  for (const auto& record : records_.list()) visit(record.info());
}

fs::path DirectorySnapshotter::mount_point(std::string_view key) {
  SnapshotRecord record = require(key);
  if (record.kind == SnapshotKind::kCommitted) {
    throw Error(ErrorKind::kInternal, "snapshot \"" + std::string(key) + "\" is committed");
  }
  return snapshot_dir(record.id) / "rootfs";
}

fs::path DirectorySnapshotter::dir(std::string_view key_or_name) {
  return fs_dir(require(key_or_name).id);
}

// mybuild has no daemon: an active snapshot or view whose process has exited will never be
// committed or removed by anyone else, so it and whatever is still mounted on it go.
void DirectorySnapshotter::recover() {
  for (const auto& record : records_.abandoned()) {
    try {
      unmount_tree(snapshot_dir(record.id));
      remove_tree(snapshot_dir(record.id));
      records_.erase_id(record.id);
      common::log::info("removed snapshot \"" + record.key + "\" left by exited process " +
                        std::to_string(record.owner_pid.value_or(0)));
    } catch (const std::exception& e) {
      common::log::warn("recovering snapshot \"" + record.key + "\": " + e.what());
    }
  }
  std::error_code ec;
  std::vector<fs::path> orphans;
  for (const auto& entry : fs::directory_iterator(base_, ec)) {
    auto id = parse_id(entry.path().filename().string());
    if (id && !records_.find_id(*id)) orphans.push_back(entry.path());
  }
  if (ec) common::log::warn("listing " + base_.string() + ": " + ec.message());
  for (const auto& path : orphans) {
    try {
      unmount_tree(path);
      remove_tree(path);
      common::log::info("removed orphaned snapshot directory " + path.string());
    } catch (const std::exception& e) {
      common::log::warn("removing orphaned " + path.string() + ": " + e.what());
    }
  }
}

}  // namespace mybuild::snapshot
