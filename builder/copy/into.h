// copy_into: performs a COPY from the build context into a directory (in the real build, the
// upper dir of the step's snapshot), preserving what BuildKit preserves (fsutil copy):
// content, mode (or --chmod), mtime and atime, symlinks as symlinks, hard links between the
// copied files, xattrs where the filesystem takes them; owner 0:0 or --chown.
//
// Destination rules (Dockerfile reference; BuildKit dockerfile2llb + fsutil prepareTargetDir):
// - the destination is a directory when it ends with '/' (or is "." / ends with "/."), when a
//   wildcard matched more than one source, or when it already is a directory; several sources
//   as written with a destination not ending in '/' is an error;
// - a directory source copies its *contents* into the destination;
// - a file source lands at `<dest>/<name>` for a directory destination, else at `<dest>`;
// - missing parents are created 0755 (the --chmod value when it is octal, as BuildKit does),
//   owned by the --chown owner (else 0:0).
//
// Safety: the destination is resolved inside dest_root (symlinks in it followed but clamped,
// builder/context/path.h), and nothing is ever written through a symlink found in the destination
// tree: a file replaces an existing symlink, a directory refuses to replace one.
//
// Speed: file data moves with FICLONE (a reflink: no data copied) where the filesystem shares
// extents, else copy_file_range (in-kernel), else read/write. Context files are never
// hard-linked into the destination: a later chmod/chown there, or an edit of the context file,
// would silently change the other side.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "builder/context/root.h"
#include "builder/copy/chmod.h"
#include "builder/copy/reuse.h"
#include "builder/copy/sources.h"
#include "builder/copy/user_lookup.h"
#include "snapshot/layer_follow.h"

namespace mybuild::builder {

struct CopyOptions {
  Owner owner;                     // 0:0 unless --chown
  std::optional<ChmodSpec> chmod;  // --chmod
  // Copied entries keep their source's uid/gid instead of `owner` (ADD of a local archive
  // without --chown keeps the archive's owners, as BuildKit's unpack does); the parents the
  // copy creates still get `owner`.
  bool keep_owner = false;
  // Records each regular file and each entry made at the destination root (reuse.h); with an
  // earlier result, an unchanged context file is hard-linked from its earlier copy instead.
  CopyRecorder* recorder = nullptr;
  // Told each entry once it is final (a directory: the state it will end in) while the layer is
  // written behind the copy (snapshot/layer_follow.h); dest_root is then an overlay upper dir.
  snapshot::LayerFollower* follower = nullptr;
  // Once set, the copy stops, throwing Error(kCancelled): a copy started before the step's
  // cache lookup that hit (builder/stage/early_layer.h).
  const std::atomic<bool>* stop = nullptr;
};

struct CopyStats {
  uint64_t files = 0, dirs = 0, symlinks = 0, hardlinks = 0;
  uint64_t bytes = 0;
  uint64_t reflinked_files = 0;
  uint64_t linked_files = 0;  // hard-linked from the earlier result (CopyOptions::recorder)
};

// Copies `sources` (from resolve_copy_sources on `context`, `source_count_as_written` of them
// in the Dockerfile) to `dest` (absolute inside dest_root, after WORKDIR and expansion).
// Throws Error(kDockerfile) for destination rule violations, kResource for I/O failures
// naming the path inside the destination.
CopyStats copy_into(const std::filesystem::path& dest_root, std::string_view dest,
                    const BuildContext& context, std::span<const CopySource> sources,
                    size_t source_count_as_written, const CopyOptions& options);

}  // namespace mybuild::builder
