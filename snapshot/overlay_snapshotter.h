// The overlay driver (containerd's "overlayfs", Docker's "overlay2"): a committed snapshot is
// one layer directory; an active snapshot is an overlay of its parents' layer directories
// (lowerdir, nearest first) under a fresh upper dir, which then holds exactly the step's
// changes. Views are read-only overlays (a read-only bind for a single layer).
//
// Deep chains: directories are named by short numeric ids, and mount_all() (mount_ops.h)
// passes relative paths when the options outgrow a page, so ~500 layers (overlayfs's own
// stacking limit) mount. Inside a user namespace (kernel >= 5.11) mounts add "userxattr".
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "snapshot/snapshotter_base.h"

namespace mybuild::snapshot {

class OverlaySnapshotter : public DirectorySnapshotter {
 public:
  OverlaySnapshotter(const std::filesystem::path& root, Database& db);

  DirFormat dir_format() const override { return DirFormat::kOverlayLayer; }

  // Tries an overlay mount (two lowers, an upper, a work dir) in a scratch directory under
  // <root>/snapshots; returns nullopt when it works, else why not ("mount(...): ...").
  static std::optional<std::string> probe(const std::filesystem::path& root);

 protected:
  void create_files(const SnapshotRecord& record,
                    const std::vector<SnapshotRecord>& parents) override;
  std::vector<common::Mount> mounts_of(const SnapshotRecord& record,
                                       const std::vector<SnapshotRecord>& parents) override;

 private:
  std::vector<std::string> base_options_;  // "userxattr", "index=off" as the host needs
};

}  // namespace mybuild::snapshot
