// Which decompressors libarchive may run on untrusted archives (layers, build contexts, ADD's
// local archives): only ones linked into the process. libarchive's *_filter_all, and any
// filter whose library it was built without, fall back to running an external program (lrzip,
// lzop, grzip, lzip, even bzip2 or xz) on the attacker's bytes, and it nests filters, so a
// gzip wrapping an lrzip stream would reach `lrzip -d`. We register a fixed list and refuse to
// go on when libarchive says a filter of the list would need a program.
#pragma once

struct archive;

namespace mybuild::snapshot {

// gzip, bzip2, xz and zstd: what BuildKit's ADD decompresses (containerd's
// archive/compression), and what builder's starts_like_archive recognises. Anything else in
// the stream (lzma, lz4, lzop, lrzip, ...) is not decoded: the tar reader sees unknown bytes
// and the archive is refused as corrupt. Throws Error(kInternal) naming the filter when this
// libarchive cannot decode one of them in-process.
void support_archive_filters(struct archive* a);

// gzip and zstd: the compressions of OCI layers.
void support_layer_filters(struct archive* a);

}  // namespace mybuild::snapshot
