// Snapshotters: a tree of filesystems, after containerd's core/snapshots/snapshotter.go.
//
// A snapshot is either *committed* (immutable, addressed by a name, may be a parent), *active*
// (writable, addressed by a key) or a *view* (read-only, addressed by a key). Keys and names
// share one namespace per driver. Unpacking a layer and running a step look alike:
//
//   auto mounts = s.prepare("unpack-3", "sha256:<chain id of layers 1-2>");  // active
//   { MountGuard m(mounts, s.mount_point("unpack-3"));  ... write files ... }
//   s.commit("sha256:<chain id of layers 1-3>", "unpack-3");  // now a parent for others
//   auto ro = s.view("inspect", "sha256:<chain id of layers 1-3>");  // read-only mounts
//   s.remove("inspect");
//
// Contract:
// - The snapshotter returns mounts; it never mounts anything itself. Mount them with MountGuard
//   (mount_guard.h) or hand them to the sandbox.
// - Records live in SQLite (snapshot::Database, table `snapshots`), files under
//   <root>/snapshots/<driver>/<id>/. Several processes may share one root: every change is one
//   transaction, and ids are never reused.
// - Active snapshots and views belong to the process that made them: mybuild has no daemon, so
//   when that process is gone they are garbage. Opening a snapshotter removes such leftovers
//   (and any mounts left on them, found in /proc/self/mountinfo) -- crash recovery.
// - Errors: a missing key is kNotFound (stat() returns nullopt instead); a key that exists
//   already, a parent that is not committed, committing a view, or removing a snapshot that
//   has children is kInternal (a bug in the caller); system calls failing are kResource.
// - Not thread-safe (its Database is one connection): one Snapshotter per thread, or a lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mount.h"

namespace mybuild::snapshot {

class Database;

enum class SnapshotKind { kActive, kView, kCommitted };
std::string_view to_string(SnapshotKind kind);

struct SnapshotInfo {
  std::string name;    // the key (active, view) or name (committed)
  std::string parent;  // the parent's name; empty for a base snapshot
  SnapshotKind kind = SnapshotKind::kActive;
  std::chrono::system_clock::time_point created;
};

struct SnapshotUsage {
  int64_t bytes = 0;  // disk space allocated by this snapshot alone (not its parents, for
                      // overlay; the whole tree, for native, which copies)
  int64_t inodes = 0;
};

// How a snapshot's own directory (Snapshotter::dir) holds its files.
enum class DirFormat {
  kOverlayLayer,  // only the changes over the parent, in overlayfs form: deletions are 0/0
                  // character devices (whiteouts), replaced directories carry
                  // trusted.overlay.opaque=y. The fast-path diff reads this; apply writes it.
  kFullTree,      // the complete filesystem (native): diff must compare with the parent's
};

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;

  virtual std::string_view driver() const = 0;  // "overlay" or "native"

  // A new active snapshot `key` on top of committed `parent` ("" for an empty base).
  virtual std::vector<common::Mount> prepare(std::string_view key, std::string_view parent) = 0;
  // A new read-only view `key` of committed `parent` ("" for an empty directory).
  virtual std::vector<common::Mount> view(std::string_view key, std::string_view parent) = 0;
  // The mounts of an existing active snapshot or view (kInternal for a committed one).
  virtual std::vector<common::Mount> mounts(std::string_view key) = 0;
  // Makes active `key` the committed snapshot `name`; `key` is gone afterwards. The snapshot
  // must not be mounted any more (kInternal): a committed snapshot never changes.
  virtual void commit(std::string_view name, std::string_view key) = 0;
  // Removes an active snapshot, view or committed snapshot without children, unmounting
  // whatever is still mounted on its mount point.
  virtual void remove(std::string_view key_or_name) = 0;
  virtual std::optional<SnapshotInfo> stat(std::string_view key_or_name) = 0;
  virtual SnapshotUsage usage(std::string_view key_or_name) = 0;
  // Every snapshot of this driver, oldest first.
  virtual void walk(const std::function<void(const SnapshotInfo&)>& visit) = 0;
  std::vector<SnapshotInfo> list();

  // Where to mount an active snapshot or view: an empty directory the snapshotter made for it
  // (mounts found there after a crash are cleaned up with the snapshot).
  virtual std::filesystem::path mount_point(std::string_view key) = 0;
  // The snapshot's own files on disk, in dir_format(): for an active overlay snapshot, its
  // upper dir (the fast-path diff); for a committed one, its layer directory (apply a layer
  // there between prepare and commit to skip the overlay mount). Do not write to a
  // committed snapshot's directory.
  virtual std::filesystem::path dir(std::string_view key_or_name) = 0;
  virtual DirFormat dir_format() const = 0;
  // The upper dir of active `key` when dir_format() is kOverlayLayer, else nullopt.
  std::optional<std::filesystem::path> upper_dir(std::string_view key);
};

// "overlay", "native" or "auto" (overlay when it can be mounted under <root>, else native).
// `db` must outlive the snapshotter. Runs crash recovery (see above) before returning.
std::unique_ptr<Snapshotter> make_snapshotter(std::string_view name_or_auto,
                                              const std::filesystem::path& root, Database& db);

// An active snapshot owned by a scope: removed on destruction unless committed (or released).
// Move-only. Removal errors in the destructor are logged, not thrown.
class ActiveSnapshot {
 public:
  ActiveSnapshot(Snapshotter& snapshotter, std::string key, std::string_view parent);
  ActiveSnapshot(ActiveSnapshot&& other) noexcept;
  ActiveSnapshot& operator=(ActiveSnapshot&&) = delete;
  ActiveSnapshot(const ActiveSnapshot&) = delete;
  ActiveSnapshot& operator=(const ActiveSnapshot&) = delete;
  ~ActiveSnapshot();

  const std::string& key() const { return key_; }
  const std::vector<common::Mount>& mounts() const { return mounts_; }
  std::filesystem::path mount_point() const { return snapshotter_->mount_point(key_); }
  // Commits as `name`; afterwards the destructor leaves it alone.
  void commit(std::string_view name);
  // Gives up ownership; returns the key.
  std::string release();

 private:
  Snapshotter* snapshotter_;
  std::string key_;
  std::vector<common::Mount> mounts_;
};

}  // namespace mybuild::snapshot
