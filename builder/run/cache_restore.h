// --cache-from's cache mounts made real: a RUN --mount=type=cache whose id an imported cache
// holds (exported by --cache-to cache-mounts=, builder/stage/cache_mount_export.h) and whose
// directory in this state root is empty gets the exported contents unpacked into it before the
// step runs -- a fresh CI runner starts with a warm package cache.
//
// Lazy: nothing is fetched for an id no step mounts, nor when the directory already has files
// (this runner's own cache wins). Each directory is restored at most once per build.
//
// The layer came from a registry or a directory someone else wrote: it is untrusted. It is
// unpacked with snapshot::apply_layer (every path resolved inside the directory, ".." refused,
// limits on size and count) and checked against its recorded diff_id. Any failure is an error
// message naming the id and the cache; the directory is emptied again and the step runs with it
// empty, as on a runner without the cache.
//
// Locking: a locked or private instance is restored under the flock it already holds; a shared
// one takes the flock for the restore, so another step of this build or another build that
// mounts the id then waits for the restore instead of seeing half a cache.
#pragma once

#include <string>

#include "builder/run/cache_instance.h"
#include "builder/stage/build_session.h"

namespace mybuild::builder {

void restore_cache_mount(BuildSession& session, const std::string& id,
                         const CacheInstance& instance, const StepId& step);

}  // namespace mybuild::builder
