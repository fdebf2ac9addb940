// BuildStore: the state root as one build uses it from several threads (one per stage): the
// content store, the metadata database with the image store, and the snapshotter, behind one
// lock where they are not thread-safe (snapshot/database.h, snapshotter.h). Long work (running
// a step, writing a layer) happens outside the lock; only metadata operations take it.
//
// Layers in a build are identified by chain ids (image-spec config.md "ChainID"): the committed
// snapshot of layers 1..n is named chain(n) = sha256(chain(n-1) + " " + diff_id(n)), so a
// filesystem state is found again by content whoever made it (a pull, an import, a RUN).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "builder/stage/background_syncs.h"
#include "builder/stage/snapshot_prune.h"
#include "common/cancel.h"
#include "common/descriptor.h"
#include "common/digest.h"
#include "image/layer_ref.h"
#include "snapshot/content_store.h"
#include "snapshot/database.h"
#include "snapshot/image_store.h"
#include "snapshot/layer_follow.h"
#include "snapshot/layer_writer.h"
#include "snapshot/snapshotter.h"

namespace mybuild::builder {

// chain(parent, diff_id); the parent of the first layer is "".
std::string chain_id(const std::string& parent_chain, const common::Digest& diff_id);
std::string chain_id_of(const std::vector<image::LayerRef>& layers);

// An earlier result a new snapshot's files were hard-linked from (builder/copy/reuse.h): its
// layer's bytes can then make most of the new layer (snapshot/layer_splice.h).
struct EarlierResult {
  std::string snapshot;                      // committed snapshot name
  std::string layer;                         // its uncompressed layer blob's digest
  std::optional<int64_t> source_date_epoch;  // the layer was written with
};

class BuildStore {
 public:
  explicit BuildStore(const std::filesystem::path& root, std::string snapshotter = "auto");
  ~BuildStore();

  const std::filesystem::path& root() const { return root_; }
  const snapshot::ContentStore& content() const { return content_; }

  // Runs `fn(db, images)` under the lock.
  template <typename Fn>
  auto with_db(Fn&& fn) {
    std::lock_guard lock(mu_);
    return fn(*db_, *images_);
  }
  template <typename Fn>
  auto with_snapshotter(Fn&& fn) {
    std::lock_guard lock(mu_);
    return fn(*snapshotter_);
  }
  snapshot::DirFormat dir_format() const { return format_; }

  // Makes sure the committed snapshot of `layers` exists, unpacking from the content store
  // whatever layers no snapshot holds yet; returns its name (the chain id; "" for none).
  std::string ensure_snapshot(const std::vector<image::LayerRef>& layers,
                              const common::CancelToken& cancel);

  // Called by ensure_snapshot for a layer blob the content store lacks (--cache-from's lazy
  // fetch, builder/stage/cache_import.h); unset, such a layer is an error.
  std::function<void(const common::Descriptor& blob)> fetch_missing;

  // A unique key for an active snapshot of this process.
  std::string new_key(const std::string& what);

  // Writes the diff of active snapshot `key` over `parent` as a layer blob. A step that changed
  // nothing still gets its (empty) layer: BuildKit commits RUN, COPY, ADD and WORKDIR with a
  // layer whatever the diff (the 32-byte gzip sha256:4f4fb700... in many images).
  // With `earlier`, an uncompressed layer is spliced from the earlier one where it can be.
  image::LayerRef write_diff(const std::string& key, const std::string& parent,
                             const snapshot::LayerOptions& options,
                             const EarlierResult* earlier = nullptr);

  // Fills active `key`'s own (upper) directory with `fill` while a LayerFollower writes its
  // layer (snapshot/layer_follow.h); nullopt when the stream was not the diff of what `fill`
  // made (nothing stored then; the caller drops the snapshot) or the store is not overlay.
  std::optional<image::LayerRef> write_followed_layer(
      const std::string& key, const snapshot::LayerOptions& options,
      const std::function<void(const std::filesystem::path& dir, snapshot::LayerFollower&)>& fill);

  // Whether no layer of committed snapshot `snapshot` (an overlay store's) has an entry `name` at
  // its root, not even a whiteout: a new directory there shows nothing of the parent.
  bool absent_in(const std::string& snapshot, const std::string& name);

  // Commits active `key` as the snapshot of `chain` (or drops it when that snapshot exists
  // already: the same content came from elsewhere first).
  void commit_snapshot(const std::string& key, const std::string& chain);

  // A snapshot whose files were written without an overlay mount is synced beside the build
  // (background_syncs.h); the build waits for every such sync before it names an image.
  void sync_later(const std::filesystem::path& dir) { syncs_.start(dir); }
  void wait_for_syncs() { syncs_.wait_all(); }

 private:
  // write_diff from the earlier layer's bytes; nullopt where a splice cannot (layer_splice.h).
  std::optional<image::LayerRef> write_spliced_diff(const std::string& key,
                                                    const EarlierResult& earlier,
                                                    const snapshot::LayerOptions& options);

  std::filesystem::path root_;
  SnapshotsInUse in_use_;  // before the snapshotter: prune removes none while this is held
  snapshot::ContentStore content_;
  std::unique_ptr<snapshot::Database> db_;
  std::unique_ptr<snapshot::ImageStore> images_;
  std::unique_ptr<snapshot::Snapshotter> snapshotter_;
  snapshot::DirFormat format_;
  std::mutex mu_;
  std::mutex unpack_mu_;  // one unpack at a time: two stages on one base unpack it once
  int next_key_ = 0;
  BackgroundSyncs syncs_;  // last: waited for first when the store closes
};

// An active snapshot (or a read-only view) owned by a scope, made and removed under the
// store's lock; removed on destruction unless committed.
class ScopedSnapshot {
 public:
  enum class Kind { kActive, kView };
  ScopedSnapshot(BuildStore& store, const std::string& what, const std::string& parent,
                 Kind kind = Kind::kActive);
  ~ScopedSnapshot();
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;
  const std::string& key() const { return key_; }
  const std::vector<common::Mount>& mounts() const { return mounts_; }
  const std::filesystem::path& mount_point() const { return mount_point_; }
  // Commits as the snapshot of `chain` (see BuildStore::commit_snapshot).
  void commit(const std::string& chain);

 private:
  BuildStore& store_;
  std::string key_;
  std::vector<common::Mount> mounts_;
  std::filesystem::path mount_point_;
  bool done_ = false;
};

}  // namespace mybuild::builder
