// A COPY into a directory the parent already has, run on the new snapshot's unmounted upper dir
// (reuse.h): what overlayfs would do below the copy, done beforehand. Through the mount, the
// copy's first write into (or onto) a directory of the parent copies it up: overlay makes it in
// the upper dir with the parent's mode, owner, xattrs and times (and restores the times of the
// directory it was made in). prepare_upper_like_mount makes exactly those copies, so that
// copy_into on the upper dir then sees the same directories, and changes them the same way, as
// through the mount. It looks up in the parent only the names the copy makes inside directories
// the parent has (below a directory the parent lacks, nothing of the parent shows).
//
// It declines, and the copy must go through the mount, for anything a plain upper dir cannot
// hold alike: a name the copy makes that the parent has as something else than a directory the
// copy merges into or a regular file a regular file replaces (a symlink on the way, a file where
// the copy makes a directory or the reverse, a device, a whiteout); and a new directory made
// inside one of the parent's when overlay may mark it opaque. Overlay does that on kernels and
// configurations without offline changes (index, metacopy, redirect_dir, xino=on); the earlier
// result of the same COPY over the same parent shows what this host does: such a directory it
// made must be there and not opaque.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "builder/context/root.h"
#include "builder/copy/sources.h"

namespace mybuild::builder {

struct TreesBelow {
  std::filesystem::path parent;         // the parent's tree, read-only; empty: scratch
  std::filesystem::path earlier_upper;  // the earlier result's own dir (see reuse.h)
};

// Prepares `upper` (empty) for copy_into(upper, dest, context, sources, ...), `dest` absolute
// and ending in '/' for a directory (CopyPlan::dest), reading sources from `context` (no views).
// Returns why the copy must go through the mount instead (`upper` is then to be dropped), or
// nullopt when it is prepared.
std::optional<std::string> prepare_upper_like_mount(const std::filesystem::path& upper,
                                                    const TreesBelow& below, std::string_view dest,
                                                    const BuildContext& context,
                                                    std::span<const CopySource> sources);

}  // namespace mybuild::builder
