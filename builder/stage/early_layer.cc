// EarlyLayer: a followed COPY in a thread of its own, taken or stopped (early_layer.h).
#include "builder/stage/early_layer.h"

#include "common/error.h"
#include "common/log.h"
#include "common/trace.h"

namespace mybuild::builder {

EarlyLayer::EarlyLayer(BuildStore& store, const std::string& parent,
                       const snapshot::LayerOptions& options, Fill fill)
    : parent_(parent), snap_(std::make_unique<ScopedSnapshot>(store, "step", parent)) {
  result_ = std::async(std::launch::async, [this, &store, options, fill = std::move(fill)] {
    return store.write_followed_layer(
        snap_->key(), options,
        [&](const std::filesystem::path& dir, snapshot::LayerFollower& follower) {
          common::TraceSpan span("COPY: copy files into the snapshot (before the cache lookup)");
          fill(dir, follower, stop_);
        });
  });
}

EarlyLayer::~EarlyLayer() {
  stop_ = true;
  if (result_.valid()) {
    try {
      result_.get();
    } catch (const std::exception& e) {
      common::log::debug(std::string("the COPY started before its cache lookup stopped: ") +
                         e.what());
    }
  }
  snap_.reset();  // removes the snapshot unless take() committed it
}

std::optional<image::LayerRef> EarlyLayer::take() {
  std::optional<image::LayerRef> layer;
  try {
    common::TraceSpan wait("COPY: wait for the copy started before the cache lookup");
    layer = result_.get();
  } catch (const common::Error& e) {
    common::log::warn(std::string("the COPY started before its cache lookup failed (") + e.what() +
                      "): running the step in full");
    return std::nullopt;
  }
  if (!layer) return std::nullopt;
  common::TraceSpan span("commit snapshot");
  snap_->commit(chain_id(parent_, layer->diff_id));
  taken_ = true;
  return layer;
}

}  // namespace mybuild::builder
