// --cache-to ...,cache-mounts=ID[;ID...]: the named RUN --mount=type=cache directories of this
// state root, each as one layer of the cache (builder/run/cache_restore.h brings them back on
// another runner). BuildKit has no such export (moby/buildkit#1474); it is mybuild's own.
//
// A layer is the directory's tree (not the directory itself) as write_tree_layer writes it:
// names in byte order, numeric owners, mtimes kept, so the same tree gives the same digest and
// a cache restored and left unchanged re-exports as the blob the registry already has (an
// existence check, no upload). Written under the directory's flock, so a step of another
// build holding it (sharing=locked) finishes first.
//
// Only an id's first directory is exported: the extra instances sharing=private makes when
// steps overlap are left out (builder/run/cache_instance.h).
//
// An id with nothing in this root is carried over from --cache-from when an imported cache
// has it (no step here used it), else left out with a warning.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "image/cache_records.h"
#include "image/cache_spec.h"
#include "image/layer_convert.h"

namespace mybuild::builder {

struct BuildSession;

std::vector<image::CacheMountEntry> export_cache_mounts(
    BuildSession& session, const image::CacheSpec& spec, const image::LayerFormat& format,
    const std::function<void(std::string_view)>& log);

}  // namespace mybuild::builder
