#include "builder/stage/build_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "common/error.h"
#include "common/log.h"
#include "common/temp_dir.h"
#include "common/trace.h"
#include "snapshot/diff.h"
#include "snapshot/extract.h"
#include "snapshot/layer_splice.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;

std::string chain_id(const std::string& parent_chain, const common::Digest& diff_id) {
  if (parent_chain.empty()) return diff_id.str();
  return common::Digest::sha256_of(parent_chain + " " + diff_id.str()).str();
}

namespace {

// The content writer hashes what it stores anyway: an uncompressed layer (the tar is the blob)
// is hashed there only, beside its write (common/overlapped_sha256.h).
snapshot::LayerOptions sink_hashing(const snapshot::LayerOptions& options) {
  snapshot::LayerOptions opts = options;
  opts.sink_hashes = options.compression == snapshot::Compression::kNone;
  return opts;
}

image::LayerRef commit_layer_blob(snapshot::ContentWriter& writer, snapshot::Layer layer,
                                  const snapshot::LayerOptions& opts) {
  if (opts.sink_hashes) {
    layer.diff_id = writer.commit(layer.descriptor.size);
    layer.descriptor.digest = layer.diff_id;
  } else {
    writer.commit(layer.descriptor.size, layer.descriptor.digest);
  }
  return image::LayerRef{layer.descriptor, layer.diff_id};
}

}  // namespace

std::string chain_id_of(const std::vector<image::LayerRef>& layers) {
  std::string chain;
  for (const auto& l : layers) chain = chain_id(chain, l.diff_id);
  return chain;
}

BuildStore::BuildStore(const std::filesystem::path& root, std::string snapshotter)
    : root_(root), in_use_(SnapshotsInUse::shared(root)), content_(root) {
  std::filesystem::create_directories(root / "tmp");
  db_ = std::make_unique<snapshot::Database>(snapshot::metadata_path(root));
  images_ = std::make_unique<snapshot::ImageStore>(content_, *db_);
  snapshotter_ = snapshot::make_snapshotter(snapshotter, root, *db_);
  format_ = snapshotter_->dir_format();
}

BuildStore::~BuildStore() = default;

std::string BuildStore::new_key(const std::string& what) {
  std::lock_guard lock(mu_);
  // pid + counter: unique among live processes; crash recovery removes a dead process's keys.
  std::string key = "build-";
  key += std::to_string(::getpid());
  key += "-";
  key += std::to_string(++next_key_);
  key += "-";
  key += what;
  return key;
}

std::string BuildStore::ensure_snapshot(const std::vector<image::LayerRef>& layers,
                                        const common::CancelToken& cancel) {
  std::lock_guard unpack(unpack_mu_);
  std::vector<std::string> chains;
  std::string chain;
  for (const auto& l : layers) chains.push_back(chain = chain_id(chain, l.diff_id));
  // The deepest snapshot that exists already.
  size_t have = layers.size();
  while (have > 0) {
    bool exists = with_snapshotter([&](snapshot::Snapshotter& s) {
      auto info = s.stat(chains[have - 1]);
      return info && info->kind == snapshot::SnapshotKind::kCommitted;
    });
    if (exists) break;
    --have;
  }
  for (size_t i = have; i < layers.size(); ++i) {
    cancel.check("unpacking layers");
    std::string parent = i == 0 ? "" : chains[i - 1];
    std::string key = new_key("unpack");
    auto active = with_snapshotter(
        [&](snapshot::Snapshotter& s) { return snapshot::ActiveSnapshot(s, key, parent); });
    std::filesystem::path dir =
        with_snapshotter([&](snapshot::Snapshotter& s) { return s.dir(key); });
    snapshot::ApplyOptions opts;
    opts.whiteouts = format_ == snapshot::DirFormat::kOverlayLayer
                         ? snapshot::WhiteoutMode::kOverlay
                         : snapshot::WhiteoutMode::kApply;
    opts.expected_diff_id = layers[i].diff_id;
    try {
      if (fetch_missing && !content_.contains(layers[i].blob.digest)) {
        fetch_missing(layers[i].blob);
      }
      auto blob = content_.open(layers[i].blob.digest);
      snapshot::apply_layer(*blob, dir, opts);
    } catch (Error& e) {
      e.add_context("unpacking layer " + layers[i].blob.digest.str());
      std::lock_guard lock(mu_);
      snapshotter_->remove(active.release());
      throw;
    }
    commit_snapshot(active.release(), chains[i]);
  }
  return chain;
}

std::optional<image::LayerRef> BuildStore::write_spliced_diff(
    const std::string& key, const EarlierResult& earlier, const snapshot::LayerOptions& options) {
  if (format_ != snapshot::DirFormat::kOverlayLayer || earlier.layer.empty()) return std::nullopt;
  const common::Digest blob_digest = common::Digest::parse(earlier.layer);
  snapshot::EarlierLayer from;
  from.source_date_epoch = earlier.source_date_epoch;
  std::filesystem::path upper;
  const bool committed = with_snapshotter([&](snapshot::Snapshotter& s) {
    upper = s.dir(key);
    auto info = s.stat(earlier.snapshot);
    if (!info || info->kind != snapshot::SnapshotKind::kCommitted) return false;
    from.upper = s.dir(earlier.snapshot);
    return true;
  });
  if (!committed || !content_.contains(blob_digest)) return std::nullopt;
  common::UniqueFd blob = common::open_file(content_.blob_path(blob_digest), O_RDONLY);
  struct stat st {};
  if (::fstat(blob.get(), &st) != 0) common::throw_errno("fstat", earlier.layer);
  from.blob = blob.get();
  from.size = static_cast<uint64_t>(st.st_size);
  common::TraceSpan span("layer: spliced from the previous result's layer");
  auto writer = content_.writer("layer of " + key);
  std::optional<snapshot::Layer> layer =
      snapshot::splice_overlay_upper(upper, from, *writer, options);
  if (!layer) return std::nullopt;  // the writer goes uncommitted: nothing stored
  layer->diff_id = writer->commit(layer->descriptor.size);
  layer->descriptor.digest = layer->diff_id;
  return image::LayerRef{layer->descriptor, layer->diff_id};
}

image::LayerRef BuildStore::write_diff(const std::string& key, const std::string& parent,
                                       const snapshot::LayerOptions& options,
                                       const EarlierResult* earlier) {
  if (earlier) {
    if (auto spliced = write_spliced_diff(key, *earlier, options)) return *spliced;
    common::TraceSpan refused("layer: not spliced, a full diff");  // a mark for --trace
  }
  std::filesystem::path upper, lower;
  with_snapshotter([&](snapshot::Snapshotter& s) {
    upper = s.dir(key);
    if (!parent.empty()) lower = s.dir(parent);
  });
  auto writer = content_.writer("layer of " + key);
  const snapshot::LayerOptions opts = sink_hashing(options);
  snapshot::Layer layer;
  if (format_ == snapshot::DirFormat::kOverlayLayer) {
    layer = snapshot::diff_overlay_upper(upper, *writer, opts);
  } else {
    std::optional<common::TempDir> empty;
    if (lower.empty()) {
      empty.emplace("mybuild-empty-");
      lower = empty->path();
    }
    layer = snapshot::diff_trees(lower, upper, *writer, opts);
  }
  return commit_layer_blob(*writer, std::move(layer), opts);
}

std::optional<image::LayerRef> BuildStore::write_followed_layer(
    const std::string& key, const snapshot::LayerOptions& options,
    const std::function<void(const std::filesystem::path& dir, snapshot::LayerFollower&)>& fill) {
  if (format_ != snapshot::DirFormat::kOverlayLayer) return std::nullopt;
  const std::filesystem::path upper =
      with_snapshotter([&](snapshot::Snapshotter& s) { return s.dir(key); });
  auto writer = content_.writer("layer of " + key);
  const snapshot::LayerOptions opts = sink_hashing(options);
  std::optional<snapshot::Layer> layer;
  {
    snapshot::LayerFollower follower(upper, *writer, opts);
    fill(upper, follower);
    common::TraceSpan span("layer: check the upper dir, end the followed layer");
    layer = follower.finish();
  }
  if (layer) sync_later(upper);  // the copy is complete: its files go to the disk meanwhile
  if (!layer) {
    common::TraceSpan refused("layer: not followed, the step runs again");  // a mark for --trace
    return std::nullopt;  // the writer goes uncommitted: nothing stored
  }
  return commit_layer_blob(*writer, std::move(*layer), opts);
}

bool BuildStore::absent_in(const std::string& snapshot, const std::string& name) {
  if (format_ != snapshot::DirFormat::kOverlayLayer) return false;
  return with_snapshotter([&](snapshot::Snapshotter& s) {
    for (std::string at = snapshot; !at.empty();) {
      struct stat st {};
      if (::lstat((s.dir(at) / name).c_str(), &st) == 0 || errno != ENOENT) return false;
      std::optional<snapshot::SnapshotInfo> info = s.stat(at);
      if (!info) return false;
      at = info->parent;
    }
    return true;
  });
}

void BuildStore::commit_snapshot(const std::string& key, const std::string& chain) {
  std::lock_guard lock(mu_);
  auto committed = [&] {
    auto info = snapshotter_->stat(chain);
    return info && info->kind == snapshot::SnapshotKind::kCommitted;
  };
  if (committed()) {
    snapshotter_->remove(key);
    return;
  }
  try {
    snapshotter_->commit(chain, key);
  } catch (const Error&) {
    // Another mybuild process on this root committed the same content first: use theirs.
    if (!committed()) throw;
    snapshotter_->remove(key);
  }
}

ScopedSnapshot::ScopedSnapshot(BuildStore& store, const std::string& what,
                               const std::string& parent, Kind kind)
    : store_(store), key_(store.new_key(what)) {
  store_.with_snapshotter([&](snapshot::Snapshotter& s) {
    mounts_ = kind == Kind::kActive ? s.prepare(key_, parent) : s.view(key_, parent);
    mount_point_ = s.mount_point(key_);
  });
}

ScopedSnapshot::~ScopedSnapshot() {
  if (done_) return;
  try {
    store_.with_snapshotter([&](snapshot::Snapshotter& s) { s.remove(key_); });
  } catch (const std::exception& e) {
    common::log::warn(std::string("removing snapshot ") + key_ + ": " + e.what());
  }
}

void ScopedSnapshot::commit(const std::string& chain) {
  store_.commit_snapshot(key_, chain);
  done_ = true;
}

}  // namespace mybuild::builder
