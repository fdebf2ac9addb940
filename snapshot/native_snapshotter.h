// The native driver (containerd's "native", Docker's "vfs"): every snapshot is a complete
// directory tree. prepare() copies the parent (reflinks where the filesystem can, so on btrfs
// or XFS it is nearly free); mounts are bind mounts. It works wherever overlay cannot mount:
// nested in another overlay, old kernels in a user namespace, filesystems overlay refuses.
#pragma once

#include <filesystem>

#include "snapshot/snapshotter_base.h"

namespace mybuild::snapshot {

class NativeSnapshotter : public DirectorySnapshotter {
 public:
  NativeSnapshotter(const std::filesystem::path& root, Database& db);

  DirFormat dir_format() const override { return DirFormat::kFullTree; }

 protected:
  void create_files(const SnapshotRecord& record,
                    const std::vector<SnapshotRecord>& parents) override;
  std::vector<common::Mount> mounts_of(const SnapshotRecord& record,
                                       const std::vector<SnapshotRecord>& parents) override;
};

}  // namespace mybuild::snapshot
