#include "builder/stage/squash.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "builder/stage/build_store.h"
#include "common/temp_dir.h"
#include "snapshot/diff.h"
#include "snapshot/mount_guard.h"

namespace mybuild::builder {
namespace {

// The diff of the full tree `top_chain` against `base_chain` ("" for scratch), as a layer.
image::LayerRef squashed_layer(BuildSession& s, const std::string& base_chain,
                               const std::string& top_chain) {
  ScopedSnapshot top(s.store, "squash-top", top_chain, ScopedSnapshot::Kind::kView);
  snapshot::MountGuard top_fs(top.mounts(), top.mount_point());
  std::optional<ScopedSnapshot> base;
  std::optional<snapshot::MountGuard> base_fs;
  std::optional<common::TempDir> empty;
  std::filesystem::path lower;
  if (base_chain.empty()) {
    empty.emplace("mybuild-empty-");
    lower = empty->path();
  } else {
    base.emplace(s.store, "squash-base", base_chain, ScopedSnapshot::Kind::kView);
    base_fs.emplace(base->mounts(), base->mount_point());
    lower = base_fs->target();
  }
  auto writer = s.store.content().writer("squash of " + top_chain);
  snapshot::Layer layer = snapshot::diff_trees(lower, top_fs.target(), *writer, s.layer_options);
  writer->commit(layer.descriptor.size, layer.descriptor.digest);
  return image::LayerRef{layer.descriptor, layer.diff_id};
}

}  // namespace

StageResult squash_build_layers(BuildSession& session, const StageResult& result) {
  const size_t own = result.layers.size() - result.base_layers;
  if (own < 2) return result;
  StepId step{session.next_step(),
              "squashing " + std::to_string(own) + " layers into one (--single-snapshot)"};
  const auto started = std::chrono::steady_clock::now();
  session.progress.step_state(step, StepState::kStarted, {});
  StageResult out = result;
  try {
    std::vector<image::LayerRef> base(
        result.layers.begin(), result.layers.begin() + static_cast<long>(result.base_layers));
    const std::string base_chain = session.store.ensure_snapshot(base, session.cancel);
    const std::string top_chain = session.store.ensure_snapshot(result.layers, session.cancel);
    image::LayerRef layer = squashed_layer(session, base_chain, top_chain);
    base.push_back(layer);
    out.layers = base;
    out.config.diff_ids.resize(result.base_layers);
    out.config.diff_ids.push_back(layer.diff_id);
    out.chain = chain_id_of(out.layers);
    std::string created;
    for (size_t i = result.base_history; i < out.config.history.size(); ++i) {
      out.config.history[i].empty_layer = true;
      created = out.config.history[i].created;
    }
    image::HistoryEntry h;
    h.created = created.empty() ? session.created : created;
    h.created_by = "mybuild --single-snapshot: the " + std::to_string(own) +
                   " layers of the steps above as one";
    out.config.history.push_back(std::move(h));
  } catch (...) {
    session.progress.step_state(step, StepState::kFailed,
                                std::chrono::steady_clock::now() - started);
    throw;
  }
  session.progress.step_state(step, StepState::kDone, std::chrono::steady_clock::now() - started);
  return out;
}

}  // namespace mybuild::builder
