// The action of a COPY that starts from its previous result (reuse.h), on the new snapshot's own
// dir, unmounted: it mounts the parent read-only for copy_up.h's look-ups, and declines when the
// result could differ from a copy through the mount.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "builder/context/root.h"
#include "builder/copy/plan.h"
#include "builder/copy/reuse.h"
#include "builder/copy/sources.h"
#include "builder/stage/build_session.h"

namespace mybuild::builder {

// Copies `sources` of `context` as `plan` says into `upper`, the own dir of a new snapshot over
// `parent_chain` (empty: scratch), hard-linking what `recorder` (seeded) offers. False when it
// declines (logged; nothing of `upper` is to be kept, the copy goes through the mount).
bool copy_on_upper(BuildSession& session, const std::string& parent_chain,
                   const std::filesystem::path& upper, const CopyPlan& plan,
                   const BuildContext& context, std::span<const CopySource> sources,
                   CopyRecorder& recorder);

}  // namespace mybuild::builder
