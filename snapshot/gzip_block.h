// One gzip member from one block of input, by the engine the level asks for. The parallel gzip
// writer (compression_gzip.cc) gives each worker thread one GzipBlockCompressor.
//
// Levels (--compression-level for gzip, 0..12):
// - default and 1..3: ISA-L's isal_deflate at its levels 1..3 (what `igzip -1..-3` use). ISA-L
//   is 5-10x faster than zlib or libdeflate at level 6 and writes stored blocks by itself when
//   deflating saves nothing; level 1, igzip's default, compresses bench/compare's layer to
//   0.617 of its size against libdeflate 6's 0.589 (issue 17: a push is bound by compression).
// - 4..12: libdeflate at that level (ISA-L has no slower, smaller levels), with the sampler that
//   stores incompressible blocks instead of spending 11 ms per MiB to save nothing.
// - 0: stored blocks (libdeflate level 0), no compression.
// The output depends only on the input and the level; not thread-safe, one per thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace mybuild::snapshot::internal {

inline constexpr int kDefaultGzipLevel = 1;

class GzipBlockCompressor {
 public:
  // Throws Error(kUsage) for a level outside 0..12 (kDefaultLevel means kDefaultGzipLevel).
  explicit GzipBlockCompressor(int level);
  ~GzipBlockCompressor();
  GzipBlockCompressor(const GzipBlockCompressor&) = delete;
  GzipBlockCompressor& operator=(const GzipBlockCompressor&) = delete;

  // Replaces `out` with `block` as one complete gzip member (header, deflate stream, CRC-32 and
  // size). `out`'s capacity is reused: the writer recycles its buffers, since a fresh 1 MiB
  // string per block is a fresh mmap and 256 page faults (10% of a push's profile).
  void member(std::string_view block, std::string& out);

 private:
  struct Engine;
  std::unique_ptr<Engine> engine_;
};

// The level a gzip compressor uses for `level` (the default resolved); kUsage out of 0..12.
int resolve_gzip_level(int level);

}  // namespace mybuild::snapshot::internal
