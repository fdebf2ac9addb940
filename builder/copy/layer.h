// The effects of a COPY or ADD step besides opening its tree (tree.h): the content checksums
// its cache key needs, the owner of a `--link --chown=name`, and the copy into the layer's
// rootfs, with ADD's unpacking of local archives.
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "builder/copy/plan.h"
#include "builder/copy/reuse.h"
#include "builder/copy/sources.h"
#include "builder/copy/tree.h"
#include "image/layer_ref.h"
#include "snapshot/layer_follow.h"

namespace mybuild::builder {

// One checksum per source (after narrow_sources), read through its view when it has one.
std::vector<SourceChecksum> checksum_copy_sources(BuildSession& session, const CopyTree& tree,
                                                  std::span<const CopySource> sources);

// A --chown of a --link step, resolved before the step: numbers as they are, names against the
// passwd/group of the parent `layers` (mounted read-only for the look-up).
Owner resolve_linked_owner(BuildSession& session, const std::vector<image::LayerRef>& layers,
                           const std::string& chown);

// The previous result of the COPY `scope` (copy_reuse_scope) when it can seed this one: its
// manifest is stored and its snapshot committed (reuse_step.h checks the rest).
std::optional<CopyRecorder> earlier_copy_result(BuildSession& session, const std::string& scope);

// Copies `sources` of `context` to plan.dest inside `rootfs`, as the step's action. The owner
// is `linked_owner` when given, else --chown resolved against `rootfs`, else 0:0. `recorder`,
// when given, sees every file copied and may offer earlier copies (reuse.h); `follower` and
// `stop`, when given, are CopyOptions::follower and CopyOptions::stop (into.h).
void copy_to_layer(const std::filesystem::path& rootfs, const CopyPlan& plan,
                   const BuildContext& context, std::span<const CopySource> sources,
                   const std::optional<Owner>& linked_owner, CopyRecorder* recorder = nullptr,
                   snapshot::LayerFollower* follower = nullptr,
                   const std::atomic<bool>* stop = nullptr);

}  // namespace mybuild::builder
