// Content checksums of COPY/ADD sources, for cache keys: a digest over exactly the files the
// copy will read, and over what of them reaches the layer.
//
// What goes in, per entry (walked in name order, directories before their contents):
//   the path relative to the source, the type, the mode bits the layer keeps (07777), the
//   symlink target, the content's SHA-256, and the mtime in nanoseconds;
//   per source: its index and the name it gets in a directory destination.
// What stays out: uid/gid (COPY writes 0:0, or the --chown owner, which is part of the
// instruction text and so of the key already), atime/ctime, inode numbers, the source's
// absolute location.
// Why mtime is in: BuildKit keeps context mtimes in the layer for COPY (fsutil copyFileInfo
// sets them), yet leaves them out of its checksum, so after `touch` a BuildKit cache hit
// reuses a layer with the old mtime, a layer that a fresh build would not produce. We prefer a
// key that matches the layer; `include_mtime = false` is for builds that rewrite timestamps
// (SOURCE_DATE_EPOCH), where the mtime does not reach the layer.
// Also in, since both reach the layer, but only for an entry that has them (so the key of a
// copy without them is exactly what it was before they counted): its xattrs (those a layer
// keeps: not overlay's own, none of a symlink's), and for a file that is another name of an
// inode met earlier in the same copy, that earlier name (COPY keeps such files one inode).
//
// Speed: content hashes are remembered in a FileHashMemo by (dev, inode, size, mtime, ctime),
// with whether the file had xattrs that reach a layer, so an unchanged context is only
// lstat'ed (no llistxattr per file); files to hash are read by a small thread pool.
#pragma once

#include <cstdint>
#include <span>

#include "builder/context/checksum_memo.h"
#include "builder/context/root.h"
#include "builder/copy/sources.h"
#include "common/cancel.h"
#include "common/digest.h"

namespace mybuild::builder {

struct ChecksumOptions {
  bool include_mtime = true;
  unsigned threads = 0;  // 0: one per core
  const common::CancelToken* cancel = nullptr;
};

struct ChecksumStats {
  uint64_t entries = 0;       // files, directories and symlinks visited
  uint64_t files_hashed = 0;  // regular files read (memo misses)
  uint64_t bytes_hashed = 0;  // bytes read to hash them
  uint64_t memo_hits = 0;
  uint64_t xattr_lists = 0;  // regular files whose xattrs were listed (the memo did not know)
};

// The checksum of `sources` (from resolve_copy_sources) in `context`. `memo` may be null (no
// memo). Throws Error(kResource) naming the path when a file cannot be read, kCancelled when
// cancelled.
common::Digest checksum_sources(const BuildContext& context, std::span<const CopySource> sources,
                                FileHashMemo* memo, const ChecksumOptions& options = {},
                                ChecksumStats* stats = nullptr);

// The SHA-256 of one regular file's content, read through a bounded buffer. O_NOFOLLOW: the
// caller has already decided what the path is.
common::Digest hash_file_content(const std::filesystem::path& path, uint64_t* bytes_read);

}  // namespace mybuild::builder
