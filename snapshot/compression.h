// Layer compression: gzip (parallel, deterministic), zstd (multi-threaded) or none, as
// streaming writers, plus a decompressing reader and a recompress pipe for push/export.
//
// Contract:
// - A Compressor is a common::Writer: bytes written to it go out compressed to `out`, in
//   bounded buffers; finish() flushes the last frame. Dropping it without finish() leaves
//   `out` holding a truncated stream (the caller's ContentWriter then never commits).
// - Output depends only on the input, the algorithm and the level, never on the number of
//   threads or on write sizes: the same tree always gives the same digest.
// - gzip is written as a series of gzip members of kGzipBlockSize input bytes each (RFC 1952
//   §2.2 allows concatenated members; Go's compress/gzip, GNU gzip, zlib and libarchive all
//   read them), compressed on two threads with libdeflate, so a layer uses both cores.
// - Not thread-safe; one per stream.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "common/io.h"

namespace mybuild::snapshot {

enum class Compression { kNone, kGzip, kZstd };

// "gzip" | "zstd" | "none" (also "uncompressed"); throws Error(kUsage) otherwise.
Compression parse_compression(std::string_view name);
std::string_view to_string(Compression c);
// The OCI layer media type for a compression (image-spec media-types.md).
std::string_view layer_media_type(Compression c);
// The compression of an OCI or Docker layer media type; nullopt when it is not a layer type.
std::optional<Compression> compression_of_media_type(std::string_view media_type);

inline constexpr size_t kGzipBlockSize = 1 << 20;
// Levels: gzip 1..12 (libdeflate's scale; 6 is gzip's default), zstd 1..19 (3 default).
inline constexpr int kDefaultLevel = -1;

class Compressor : public common::Writer {
 public:
  // Flushes the end of the stream to `out`. Call once, after the last write.
  virtual void finish() = 0;
};

// `threads` is a hint (0 = hardware concurrency, capped at 2 here: the machine is shared);
// it never changes the output.
std::unique_ptr<Compressor> make_compressor(Compression c, common::Writer& out,
                                            int level = kDefaultLevel, int threads = 0);

// Reads `in`, detecting gzip, zstd or plain by magic bytes, and yields the decompressed bytes.
// A corrupt stream throws Error(kIntegrity).
std::unique_ptr<common::Reader> open_decompressed(common::Reader& in);

// Decompresses `in` (any of the three) and writes it to `out` compressed as `to`: a gzip layer
// pushed as zstd is recompressed, never passed through under the wrong name. Returns the
// digest of the uncompressed stream (the layer's diff_id), so the caller can check it.
common::Digest recompress(common::Reader& in, Compression to, common::Writer& out,
                          int level = kDefaultLevel);

}  // namespace mybuild::snapshot
