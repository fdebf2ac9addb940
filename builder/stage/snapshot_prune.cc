#include "builder/stage/snapshot_prune.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>
#include <map>
#include <set>
#include <string>

#include "builder/copy/reuse.h"
#include "builder/stage/build_inputs.h"
#include "builder/stage/build_store.h"
#include "common/error.h"
#include "image/local_store.h"
#include "snapshot/snapshotter.h"

namespace mybuild::builder {
namespace {

common::UniqueFd open_lock(const std::filesystem::path& root) {
  std::filesystem::create_directories(root);
  return common::open_file(root / "snapshots.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

// The chain id of every prefix of every tagged image's layers: what FROM and run need.
std::set<std::string> chains_to_keep(image::LocalStore& store) {
  std::set<std::string> keep;
  for (const auto& t : image::tagged_images(store)) {
    if (!t.image) continue;
    std::vector<image::LayerRef> layers;
    try {
      layers = layers_of(*t.image, store.content.read_small(t.image->config.digest, 64 << 20));
    } catch (const common::Error&) {
      continue;  // an unreadable config: its snapshots are no use either
    }
    std::string chain;
    for (const auto& l : layers) keep.insert(chain = chain_id(chain, l.diff_id));
  }
  return keep;
}

}  // namespace

SnapshotsInUse SnapshotsInUse::shared(const std::filesystem::path& root) {
  common::UniqueFd fd = open_lock(root);
  while (::flock(fd.get(), LOCK_SH) != 0) {
    if (errno != EINTR) common::throw_errno("flock", (root / "snapshots.lock").string());
  }
  return SnapshotsInUse(std::move(fd));
}

std::optional<SnapshotsInUse> SnapshotsInUse::try_exclusive(const std::filesystem::path& root) {
  common::UniqueFd fd = open_lock(root);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return std::nullopt;
    common::throw_errno("flock", (root / "snapshots.lock").string());
  }
  return SnapshotsInUse(std::move(fd));
}

SnapshotPruneResult prune_snapshots(const std::filesystem::path& root, bool dry_run) {
  SnapshotPruneResult result;
  auto lock = SnapshotsInUse::try_exclusive(root);
  if (!lock) {
    result.busy = true;
    return result;
  }
  image::LocalStore store(root);
  const std::set<std::string> keep = chains_to_keep(store);
  auto snapshotter = snapshot::make_snapshotter("auto", root, store.db);
  std::vector<snapshot::SnapshotInfo> all = snapshotter->list();
  std::map<std::string, int> children;
  for (const auto& s : all) {
    if (!s.parent.empty()) ++children[s.parent];
  }
  std::set<std::string> gone;
  for (bool progress = true; progress;) {
    progress = false;
    for (const auto& s : all) {
      if (s.kind != snapshot::SnapshotKind::kCommitted || keep.count(s.name) ||
          gone.count(s.name) || children[s.name] > 0) {
        continue;
      }
      result.bytes_removed += snapshotter->usage(s.name).bytes;
      if (!dry_run) snapshotter->remove(s.name);
      gone.insert(s.name);
      if (!s.parent.empty()) --children[s.parent];
      ++result.removed;
      progress = true;
    }
  }
  std::set<std::string> kept;
  for (const auto& s : all) {
    if (s.kind == snapshot::SnapshotKind::kCommitted && !gone.count(s.name)) kept.insert(s.name);
  }
  result.kept = static_cast<int64_t>(kept.size());
  // A COPY's record of what it wrote seeds the next such COPY from its snapshot: it goes with it.
  if (!dry_run) {
    forget_orphan_copy_manifests(root,
                                 [&kept](const std::string& name) { return kept.count(name) > 0; });
  }
  return result;
}

}  // namespace mybuild::builder
