// Which COPY may have its layer written while it copies (issue 17; snapshot/layer_follow.h): the
// copy then runs on the new snapshot's own upper dir, unmounted, and reports each finished
// entry to a thread that writes the layer meanwhile. That equals a copy through the overlay mount
// only when nothing the copy touches exists in the parent, and a follower keeps up only with one
// tree copied in the diff's order. So: a plain COPY of the build context (copy_reusable: not
// ADD, --from, --link, heredocs, URLs, --exclude, --parents or a --chown name) of ONE directory
// source to a destination below the root; the step also needs the destination's first name to
// be absent from the parent (BuildStore::absent_in), or it copies through the mount as usual.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "builder/copy/plan.h"
#include "builder/copy/sources.h"

namespace mybuild::builder {

// The name at the root everything the copy creates lies under ("data" for `COPY ctx/ /data/`),
// or nullopt when the COPY's layer is written after it, the usual way.
std::optional<std::string> followed_copy_top(const CopyPlan& plan, bool from_build_context,
                                             std::span<const CopySource> sources);

}  // namespace mybuild::builder
