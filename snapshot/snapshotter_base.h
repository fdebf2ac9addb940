// What the overlay and native drivers share: records in SQLite, the directory layout
// <root>/snapshots/<driver>/<id>/{fs,rootfs,...}, the checks of containerd's model, and crash
// recovery. A driver adds how a snapshot's files are made and how it is mounted. Internal to
// the snapshotters; use snapshotter.h.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "snapshot/snapshotter.h"
#include "snapshot/snapshotter_records.h"

namespace mybuild::snapshot {

class DirectorySnapshotter : public Snapshotter {
 public:
  // Creates <root>/snapshots/<driver>/ and cleans what crashed processes left there.
  DirectorySnapshotter(std::string driver, const std::filesystem::path& root, Database& db);

  std::string_view driver() const override { return driver_; }
  std::vector<common::Mount> prepare(std::string_view key, std::string_view parent) override;
  std::vector<common::Mount> view(std::string_view key, std::string_view parent) override;
  std::vector<common::Mount> mounts(std::string_view key) override;
  void commit(std::string_view name, std::string_view key) override;
  void remove(std::string_view key_or_name) override;
  std::optional<SnapshotInfo> stat(std::string_view key_or_name) override;
  SnapshotUsage usage(std::string_view key_or_name) override;
  void walk(const std::function<void(const SnapshotInfo&)>& visit) override;
  std::filesystem::path mount_point(std::string_view key) override;
  std::filesystem::path dir(std::string_view key_or_name) override;

 protected:
  // Makes the files of a new snapshot in snapshot_dir(record.id) (which exists, with an empty
  // rootfs/ in it). `parents` are committed, nearest first.
  virtual void create_files(const SnapshotRecord& record,
                            const std::vector<SnapshotRecord>& parents) = 0;
  virtual std::vector<common::Mount> mounts_of(const SnapshotRecord& record,
                                               const std::vector<SnapshotRecord>& parents) = 0;

  std::filesystem::path snapshot_dir(int64_t id) const { return base_ / std::to_string(id); }
  std::filesystem::path fs_dir(int64_t id) const { return snapshot_dir(id) / "fs"; }

 private:
  std::vector<common::Mount> create(std::string_view key, SnapshotKind kind,
                                    std::string_view parent);
  SnapshotRecord require(std::string_view key);
  void check_unmounted(const SnapshotRecord& record);
  void recover();

  std::string driver_;
  std::filesystem::path base_;  // <root>/snapshots/<driver>
  SnapshotRecords records_;
};

}  // namespace mybuild::snapshot
