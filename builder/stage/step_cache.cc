// StageBuilder::layer_step: the part every filesystem step shares -- cache key, lookup,
// explanation of a miss, running the step on a fresh snapshot, the diff, the record.
#include <cctype>
#include <chrono>
#include <future>
#include <optional>

#include "builder/stage/history_text.h"
#include "builder/stage/stage_builder.h"
#include "common/error.h"
#include "common/log.h"
#include "common/time.h"
#include "common/trace.h"
#include "snapshot/mount_guard.h"

namespace mybuild::builder {

using common::Error;
using common::ErrorKind;
using Clock = std::chrono::steady_clock;

namespace {

// Holds one of the --jobs slots for the life of a step.
class Slot {
 public:
  explicit Slot(std::counting_semaphore<64>* s) : s_(s) {
    if (s_) s_->acquire();
  }
  ~Slot() {
    if (s_) s_->release();
  }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::counting_semaphore<64>* s_;
};

// The trace's name for a step's action, by instruction ("Copy" as parsed).
std::string action_name(std::string keyword) {
  for (auto& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (keyword == "COPY" || keyword == "ADD") return keyword + ": copy files into the snapshot";
  if (keyword == "RUN") return "RUN: mounts and sandbox";
  return keyword + ": change the snapshot";
}

// Runs `attempt`, a step's fast path on a snapshot's own directory; false when it failed short
// of cancellation (its snapshot is gone then: ScopedSnapshot), and the step runs as usual.
bool attempt_on_upper(std::string_view what, const std::function<void()>& attempt) {
  try {
    attempt();
    return true;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kCancelled) throw;
    common::log::warn(std::string(what) + " failed (" + e.what() + "): running the step in full");
    return false;
  }
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<image::LayerRef> StageBuilder::run_in_snapshot(const std::string& parent,
                                                             const Action& act,
                                                             const StepId& step) {
  std::optional<common::TraceSpan> mount(std::in_place, "snapshot: prepare and mount");
  ScopedSnapshot snap(s_.store, "step", parent);
  snapshot::MountGuard rootfs(snap.mounts(), snap.mount_point());
  mount.reset();
  edit_upper_ = nullptr;
  {
    common::TraceSpan span(action_trace_name_);
    act(rootfs.target(), step);
  }
  // Unmounting an overlay syncs the file system under it (ovl_sync_fs: a big COPY's files go
  // to the disk then, 0.3 s for 300 MB; 0.7 s for a RUN that wrote 1 GiB). The diff reads the
  // upper dir, not the mount, so that wait runs beside it. A hook that edits the upper dir
  // (RUN's stubs) runs first, while it is still mounted: overlay leaves changes to a layer under
  // a live mount undefined only for lookups through the mount, and there are none any more (the
  // step's processes are gone, and the mount is only unmounted after this).
  // Declared after rootfs: leaving early (an error) waits for the unmount before ~rootfs.
  std::future<void> unmounted;
  const bool overlay = s_.store.dir_format() == snapshot::DirFormat::kOverlayLayer;
  if (overlay) {
    if (edit_upper_) {
      edit_upper_(
          s_.store.with_snapshotter([&](snapshot::Snapshotter& sn) { return sn.dir(snap.key()); }));
    }
    unmounted = std::async(std::launch::async, [&rootfs] {
      common::TraceSpan span("unmount (beside the diff)");
      rootfs.unmount();
    });
  } else {
    common::TraceSpan span("unmount");
    rootfs.unmount();
  }
  edit_upper_ = nullptr;
  s_.cancel.check("build");
  std::optional<image::LayerRef> layer;
  {
    // The diff is one pass: walk the upper dir, tar, digest and write the blob.
    common::TraceSpan span("diff: tar, digest, write layer");
    layer = s_.store.write_diff(snap.key(), parent, s_.layer_options);
  }
  if (unmounted.valid()) {
    common::TraceSpan span("unmount: wait");
    unmounted.get();  // the snapshot commits unmounted; an unmount error is the step's
  }
  common::TraceSpan span("commit snapshot");
  if (layer) snap.commit(chain_id(parent, layer->diff_id));
  return layer;
}

bool StageBuilder::run_on_upper(const std::string& parent, const Seed& seed, const StepId& step,
                                std::optional<image::LayerRef>& layer) {
  layer.reset();
  bool declined = false;
  const bool ran = attempt_on_upper("starting from the previous result", [&] {
    ScopedSnapshot snap(s_.store, "step", parent);
    const std::filesystem::path dir =
        s_.store.with_snapshotter([&](snapshot::Snapshotter& sn) { return sn.dir(snap.key()); });
    {
      common::TraceSpan span(action_trace_name_ + " (from the previous result)");
      declined = !seed.act(dir, step);
    }
    if (declined) return;  // ~snap drops what it made
    // No unmount syncs these files: a sync beside the build does (background_syncs.h).
    s_.store.sync_later(dir);
    s_.cancel.check("build");
    std::optional<image::LayerRef> written;
    {
      common::TraceSpan span("diff: tar, digest, write layer");
      written = s_.store.write_diff(snap.key(), parent, s_.layer_options, &seed.earlier);
    }
    common::TraceSpan span("commit snapshot");
    if (written) snap.commit(chain_id(parent, written->diff_id));
    layer = std::move(written);
  });
  return ran && !declined;
}

bool StageBuilder::run_followed(const std::string& parent, const StepInputs::Followed& followed,
                                const StepId& step, std::optional<image::LayerRef>& layer) {
  layer.reset();
  if (!s_.store.absent_in(parent, followed.absent_top)) return false;
  bool streamed = false;
  const bool ran = attempt_on_upper("writing the layer while copying", [&] {
    ScopedSnapshot snap(s_.store, "step", parent);
    std::optional<image::LayerRef> written = s_.store.write_followed_layer(
        snap.key(), s_.layer_options,
        [&](const std::filesystem::path& dir, snapshot::LayerFollower& follower) {
          common::TraceSpan span(action_trace_name_ + " (the layer written alongside)");
          followed.act(dir, step, follower);
        });
    if (!written) return;  // ~snap drops what the copy made
    s_.cancel.check("build");
    common::TraceSpan span("commit snapshot");
    snap.commit(chain_id(parent, written->diff_id));
    layer = std::move(written);
    streamed = true;
  });
  return ran && streamed;
}

std::optional<image::LayerRef> StageBuilder::run_missed(const std::string& parent,
                                                        const StepInputs& in, const StepId& step,
                                                        const Action& act) {
  std::optional<image::LayerRef> layer;
  std::optional<Seed> seeded;
  if (in.on_miss) seeded = in.on_miss(in.inputs);
  // A copy started early that failed is not tried a second time the same way.
  EarlyLayer* early = in.followed ? in.followed->early : nullptr;
  if (early && early->parent() == parent) {
    layer = early->take();
    if (layer) return layer;
  }
  const bool done = seeded
                        ? run_on_upper(parent, *seeded, step, layer)
                        : in.followed && !early && run_followed(parent, *in.followed, step, layer);
  if (!done) layer = run_in_snapshot(parent, act, step);
  return layer;
}

std::unique_ptr<EarlyLayer> StageBuilder::start_early(const std::string& absent_top,
                                                      EarlyLayer::Fill fill) {
  if (s_.store.dir_format() != snapshot::DirFormat::kOverlayLayer ||
      !s_.request.cache_from.empty() || s_.step_locks != nullptr ||
      (!no_cache_ && s_.cache_last(locator()))) {
    return nullptr;
  }
  try {
    common::TraceSpan span("COPY: start copying before the cache lookup");
    const std::string parent = s_.store.ensure_snapshot(state_.layers, s_.cancel);
    if (!s_.store.absent_in(parent, absent_top)) return nullptr;
    return std::make_unique<EarlyLayer>(s_.store, parent, s_.layer_options, std::move(fill));
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::kCancelled) throw;
    common::log::debug(std::string("COPY: not started before its cache lookup: ") + e.what());
    return nullptr;
  }
}

void StageBuilder::layer_step(const StepId& step, const parser::InstructionCommon& where,
                              StepInputs in, const std::string& created_by, const Action& act) {
  prepare_span_.reset();
  action_trace_name_ = action_name(where.keyword);
  ++s_.total_steps;
  const bool linked = in.independent_of_parent;
  in.inputs["parent"] = linked                 ? "independent (--link)"
                        : state_.chain.empty() ? "scratch"
                                               : state_.chain;
  in.inputs["platform"] = state_.config.platform.str();
  in.inputs["layer format"] = std::string(snapshot::to_string(s_.layer_options.compression));
  std::string inputs = in.inputs.dump();
  std::string key = common::Digest::sha256_of(inputs).str();
  std::string loc = locator();

  auto apply = [&](const std::optional<image::LayerRef>& layer, int64_t created_at) {
    if (layer) {
      state_.chain = chain_id(state_.chain, layer->diff_id);
      state_.layers.push_back(*layer);
      state_.config.diff_ids.push_back(layer->diff_id);
    }
    add_history(created_by, !layer.has_value(), common::rfc3339(created_at));
  };

  // Another platform of this build running the same step: wait for it, then hit its record.
  std::unique_lock<std::mutex> same_step;
  if (s_.step_locks) same_step = s_.step_locks->hold(key);
  if (!no_cache_ || (s_.step_locks && s_.step_locks->ran(key))) {
    common::TraceSpan lookup("cache lookup");
    if (auto hit = s_.cache_hit(key)) {
      s_.progress.step_state(step, StepState::kStarted, {});
      apply(hit->layer, hit->created_at);
      s_.cache_notes.note(plan_.index, *hit, created_by);
      ++s_.cached_steps;
      s_.progress.step_state(step, StepState::kCached, {});
      return;
    }
  }
  if (s_.request.explain_cache) {
    std::string reason = no_cache_ ? std::string("cache disabled (--no-cache)")
                                   : explain_miss(inputs, s_.cache_last(loc));
    s_.progress.cache_miss(step, reason);
  }
  Slot slot(s_.slots);
  auto started = Clock::now();
  s_.progress.step_state(step, StepState::kStarted, {});
  try {
    std::string parent;
    if (!linked) {
      common::TraceSpan span("parent snapshot");
      parent = s_.store.ensure_snapshot(state_.layers, s_.cancel);
    }
    std::optional<image::LayerRef> layer = run_missed(parent, in, step, act);
    CacheRecord record;
    record.key = key;
    record.layer = layer;
    record.locator = loc;
    record.inputs = inputs;
    record.created_at = s_.request.source_date_epoch.value_or(unix_now());
    s_.cache_store(record);
    if (s_.step_locks) s_.step_locks->note_ran(key);
    s_.cache_notes.note(plan_.index, record, created_by);
    apply(layer, record.created_at);
  } catch (Error& e) {
    s_.progress.step_state(
        step, e.kind() == ErrorKind::kCancelled ? StepState::kCancelled : StepState::kFailed,
        Clock::now() - started);
    if (!e.where()) e.set_where(where.range);
    throw;
  } catch (...) {
    s_.progress.step_state(step, StepState::kFailed, Clock::now() - started);
    throw;
  }
  s_.progress.step_state(step, StepState::kDone, Clock::now() - started);
}

}  // namespace mybuild::builder
