// Layer diffs: what changed between a parent snapshot and its child, as a layer blob.
//
// Two ways to find the changes, one result:
// - diff_overlay_upper: the fast path for the overlay snapshotter. The upper dir *is* the
//   change set: overlayfs records a deletion as a 0/0 character device and a directory that
//   hides its lower contents with the xattr trusted.overlay.opaque=y (user.overlay.opaque with
//   userxattr). Lower layers are never read.
// - diff_trees: the generic path (native snapshotter): walks `lower` and `upper` side by side
//   and compares mode, owner, size, mtime, xattrs, link targets and, when size and whole-second
//   mtime cannot tell, the bytes.
// Both walk each directory in byte order of names and emit, for every change, its parent
// directories first (as copy-up puts them in the upper dir), a deletion as `.wh.<name>` at the
// place of the name, and a directory that replaced a non-directory as opaque (overlayfs marks
// it so). Hence the same change gives the same layer, byte for byte, by either path.
#pragma once

#include <filesystem>

#include "common/io.h"
#include "snapshot/layer_writer.h"

namespace mybuild::snapshot {

Layer diff_overlay_upper(const std::filesystem::path& upper, common::Writer& out,
                         const LayerOptions& options);

Layer diff_trees(const std::filesystem::path& lower, const std::filesystem::path& upper,
                 common::Writer& out, const LayerOptions& options);

}  // namespace mybuild::snapshot
