// A layer made mostly of an earlier layer's bytes (issue 17). When a new overlay upper dir shares
// most of its regular files -- the same inodes, hard-linked (builder/copy/reuse.h) -- with an
// earlier upper dir whose uncompressed layer blob is at hand, the new layer takes each shared
// file's tar entry (headers, data, padding) from that blob as it is, and writes fresh entries
// (LayerWriter's) for everything else, in diff_overlay_upper's order. A shared inode has the
// path, mode, owner, mtime, xattrs and bytes it had when the earlier blob was written (committed
// snapshots are never changed), and TarWriter writes an entry from those alone, so the result is
// byte for byte what diff_overlay_upper writes, without opening or reading the shared files.
//
// Uncompressed layers only (the blob is the tar). The caller hashes the stream (a content-store
// writer does); splice_overlay_upper then leaves diff_id and digest empty, as LayerWriter does
// with LayerOptions::sink_hashes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/io.h"
#include "snapshot/layer_writer.h"

namespace mybuild::snapshot {

// Where one entry of a tar stream lies: [begin, end) holds its header(s), data and padding.
struct TarSpan {
  uint64_t begin = 0, end = 0;
};

// The regular-file entries (hard links left out) of the uncompressed tar `fd` of `size` bytes,
// ended by two zero blocks and nothing else (TarWriter's form), by path.
std::unordered_map<std::string, TarSpan> index_tar_files(int fd, uint64_t size);

struct EarlierLayer {
  std::filesystem::path upper;  // the earlier snapshot's own (upper) dir
  int blob = -1;                // its layer, uncompressed, open for reading
  uint64_t size = 0;
  std::optional<int64_t> source_date_epoch;  // of the LayerOptions it was written with
};

// The layer of overlay upper dir `upper` into `out`, as diff_overlay_upper would write it with
// `options`; nullopt (and `out` holds a partial stream to drop) when the upper dir holds what a
// splice does not write alike: a whiteout, an opaque directory, a fresh regular file with more
// than one link, or a layer option that differs from the earlier one's.
std::optional<Layer> splice_overlay_upper(const std::filesystem::path& upper,
                                          const EarlierLayer& earlier, common::Writer& out,
                                          const LayerOptions& options);

}  // namespace mybuild::snapshot
