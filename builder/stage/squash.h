// --single-snapshot (Kaniko): the target stage's result with the layers the build made (all
// after the base image's) replaced by ONE layer, the diff of the final root filesystem against
// the base's (so a file added by one step and removed by a later one is in neither, and a base
// file removed is a whiteout), as Kaniko's single snapshot is. The history keeps an entry per
// step, all now empty_layer, plus one entry for the squashed layer.
#pragma once

#include "builder/stage/build_session.h"

namespace mybuild::builder {

// Unchanged when the build made fewer than two layers. Reports a "squashing" step through the
// session's progress. Mounts read-only views of both root filesystems (snapshot views).
StageResult squash_build_layers(BuildSession& session, const StageResult& result);

}  // namespace mybuild::builder
