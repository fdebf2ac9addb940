#include "snapshot/snapshotter.h"

#include <utility>

#include "common/error.h"
#include "common/host_memo.h"
#include "common/log.h"
#include "snapshot/native_snapshotter.h"
#include "snapshot/overlay_snapshotter.h"

namespace mybuild::snapshot {

std::vector<SnapshotInfo> Snapshotter::list() {
  std::vector<SnapshotInfo> out;
  walk([&](const SnapshotInfo& info) { out.push_back(info); });
  return out;
}

std::optional<std::filesystem::path> Snapshotter::upper_dir(std::string_view key) {
  if (dir_format() != DirFormat::kOverlayLayer) return std::nullopt;
  auto info = stat(key);
  if (!info || info->kind != SnapshotKind::kActive) {
    throw common::Error(common::ErrorKind::kNotFound,
                        "no active snapshot \"" + std::string(key) + "\"");
  }
  return dir(key);
}

std::unique_ptr<Snapshotter> make_snapshotter(std::string_view name_or_auto,
                                              const std::filesystem::path& root, Database& db) {
  if (name_or_auto == "overlay") return std::make_unique<OverlaySnapshotter>(root, db);
  if (name_or_auto == "native") return std::make_unique<NativeSnapshotter>(root, db);
  if (name_or_auto != "auto") {
    throw common::Error(common::ErrorKind::kUsage, "unknown snapshotter \"" +
                                                       std::string(name_or_auto) +
                                                       "\" (expected overlay, native or auto)");
  }
  // The probe mounts and unmounts an overlay for real, and the unmount waits for an RCU grace
  // period (tens of ms, far more on a busy host: most of a no-op build's wall time, issue 17).
  // A yes is remembered for as long as nothing it depends on changes (common/host_memo.h).
  const std::filesystem::path memo = root / "snapshots" / ".overlay-mounts";
  if (common::host_memo_holds(memo)) return std::make_unique<OverlaySnapshotter>(root, db);
  if (auto why_not = OverlaySnapshotter::probe(root)) {
    common::log::info("overlay cannot be mounted here (" + *why_not +
                      "); using the native snapshotter");
    return std::make_unique<NativeSnapshotter>(root, db);
  }
  common::host_memo_remember(memo);
  return std::make_unique<OverlaySnapshotter>(root, db);
}

ActiveSnapshot::ActiveSnapshot(Snapshotter& snapshotter, std::string key, std::string_view parent)
    : snapshotter_(&snapshotter), key_(std::move(key)) {
  mounts_ = snapshotter_->prepare(key_, parent);
}

ActiveSnapshot::ActiveSnapshot(ActiveSnapshot&& other) noexcept
    : snapshotter_(other.snapshotter_),
      key_(std::exchange(other.key_, {})),
      mounts_(std::move(other.mounts_)) {}

ActiveSnapshot::~ActiveSnapshot() {
  if (key_.empty()) return;
  try {
    snapshotter_->remove(key_);
  } catch (const std::exception& e) {
    common::log::warn("removing active snapshot \"" + key_ + "\": " + e.what());
  }
}

void ActiveSnapshot::commit(std::string_view name) {
  snapshotter_->commit(name, key_);
  key_.clear();
}

std::string ActiveSnapshot::release() { return std::exchange(key_, {}); }

}  // namespace mybuild::snapshot
