#include "snapshot/native_snapshotter.h"

#include <sys/stat.h>

#include "common/error.h"
#include "snapshot/snapshotter_tree.h"

namespace mybuild::snapshot {

NativeSnapshotter::NativeSnapshotter(const std::filesystem::path& root, Database& db)
    : DirectorySnapshotter("native", root, db) {}

void NativeSnapshotter::create_files(const SnapshotRecord& record,
                                     const std::vector<SnapshotRecord>& parents) {
  auto fs = fs_dir(record.id);
  if (::mkdir(fs.c_str(), 0755) != 0) common::throw_errno("mkdir", fs.string());
  // A view binds its (immutable) parent read-only, so only an active snapshot needs a copy.
  if (record.kind == SnapshotKind::kActive && !parents.empty()) {
    copy_tree(fs_dir(parents.front().id), fs);
  }
}

std::vector<common::Mount> NativeSnapshotter::mounts_of(
    const SnapshotRecord& record, const std::vector<SnapshotRecord>& parents) {
  bool active = record.kind == SnapshotKind::kActive;
  auto source = active || parents.empty() ? fs_dir(record.id) : fs_dir(parents.front().id);
  return {common::Mount{.type = "bind",
                        .source = source.string(),
                        .target = "",
                        .options = {"rbind", active ? "rw" : "ro"}}};
}

}  // namespace mybuild::snapshot
