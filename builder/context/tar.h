// Unpacking a build context sent as a tar stream (`mybuild build - < context.tar`). The tar is
// untrusted input, so extraction refuses what could write outside the destination: entries
// with a `..` component or an absolute name (an error naming the entry), hard links whose
// target breaks the same rules, and any write through a symlink the archive itself created
// (libarchive's SECURE_SYMLINKS). Symlinks are kept as they are: where they point is resolved
// later, clamped inside the context root (builder/context/path.h). Device nodes, fifos and sockets
// are skipped with a warning: a build context has no use for them. Owners are not restored
// (COPY makes files 0:0 anyway) unless `keep_owners` (ADD of a local archive keeps the
// archive's numeric uid/gid, as BuildKit does); modes and mtimes are, as they reach the layer.
// Decompression is in-process only (snapshot/archive_filters.h: gzip, bzip2, xz, zstd), and the
// layer limits apply (snapshot/extract_limits.h: entries, file and total size, ratio).
#pragma once

#include <filesystem>
#include <string_view>

#include "common/io.h"

namespace mybuild::builder {

// Extracts `tar` (plain, gzip, bzip2, xz or zstd, detected from its bytes) into the existing
// empty directory `dest`. Throws Error(kUsage) for an unsafe entry, kIntegrity for a corrupt
// archive, and rethrows whatever `tar.read` throws.
void unpack_context_tar(common::Reader& tar, const std::filesystem::path& dest,
                        bool keep_owners = false);

// Whether `head` (a stream's first 512 bytes, or fewer when it is shorter) starts an archive
// unpack_context_tar reads: gzip, bzip2, xz or zstd magic, or a ustar header. How ADD tells a
// local archive from a file, and `build -` a context tar from a Dockerfile.
bool starts_like_archive(std::string_view head);

}  // namespace mybuild::builder
