#include "snapshot/gzip_block.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>

#include <algorithm>
#include <vector>

#include "common/error.h"
#include "snapshot/compression.h"
#include "snapshot/compression_internal.h"

namespace mybuild::snapshot::internal {

// Not file-local: GzipBlockCompressor::Engine holds them.
struct LibdeflateFree {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using LibdeflatePtr = std::unique_ptr<libdeflate_compressor, LibdeflateFree>;

namespace {

using common::Error;
using common::ErrorKind;

constexpr int kMaxIsalLevel = ISAL_DEF_MAX_LEVEL;  // 3

LibdeflatePtr alloc_libdeflate(int level) {
  LibdeflatePtr c(libdeflate_alloc_compressor(level));
  if (!c) throw Error(ErrorKind::kResource, "libdeflate_alloc_compressor: out of memory");
  return c;
}

// Whether deflating `block` would save nothing: each of three samples (start, middle, end)
// compressed at level 1 comes out no smaller than 98% of itself.
bool samples_incompressible(libdeflate_compressor* sampler, std::string_view block) {
  constexpr size_t kSample = 16 << 10;
  if (block.size() < 4 * kSample) return false;  // small blocks: deflating is cheap anyway
  char out[kSample + 1024];
  for (size_t at : {size_t{0}, block.size() / 2, block.size() - kSample}) {
    size_t n = libdeflate_deflate_compress(sampler, block.data() + at, kSample, out, sizeof out);
    if (n != 0 && n < kSample * 98 / 100) return false;
  }
  return true;
}

size_t isal_level_buf_size(int level) {
  switch (level) {
    case 1:
      return ISAL_DEF_LVL1_DEFAULT;
    case 2:
      return ISAL_DEF_LVL2_DEFAULT;
    default:
      return ISAL_DEF_LVL3_DEFAULT;
  }
}

}  // namespace

struct GzipBlockCompressor::Engine {
  int level = kDefaultGzipLevel;
  std::vector<uint8_t> isal_level_buf;      // ISA-L levels: the hash tables of one block
  LibdeflatePtr deflater, sampler, stored;  // libdeflate levels

  void isal_member(std::string_view block, std::string& out) {
    // Stored blocks cost 5 bytes per 64 KiB; the gzip header and trailer 18 more.
    out.resize(block.size() + block.size() / 1024 + 4096);
    for (;;) {
      // The hash tables start zeroed for every member, so a member's bytes cannot depend on
      // which blocks this thread compressed before (a stale table still decodes right, but may
      // pick other matches: another digest for the same layer). 0.3 MB per 1 MiB block.
      std::fill(isal_level_buf.begin(), isal_level_buf.end(), uint8_t{0});
      isal_zstream s;
      isal_deflate_stateless_init(&s);
      s.level = static_cast<uint32_t>(level);
      s.level_buf = isal_level_buf.data();
      s.level_buf_size = static_cast<uint32_t>(isal_level_buf.size());
      s.gzip_flag = IGZIP_GZIP;
      s.end_of_stream = 1;
      s.flush = NO_FLUSH;
      s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(block.data()));
      s.avail_in = static_cast<uint32_t>(block.size());
      s.next_out = reinterpret_cast<uint8_t*>(out.data());
      s.avail_out = static_cast<uint32_t>(out.size());
      int rc = isal_deflate_stateless(&s);
      if (rc == COMP_OK && s.avail_in == 0) {
        out.resize(s.total_out);
        return;
      }
      if (rc != STATELESS_OVERFLOW) {
        throw Error(ErrorKind::kInternal, "isal_deflate_stateless: error " + std::to_string(rc));
      }
      out.resize(out.size() * 2);
    }
  }

  void libdeflate_member(std::string_view block, std::string& out) {
    libdeflate_compressor* use = deflater.get();
    if (level > 0 && samples_incompressible(sampler.get(), block)) use = stored.get();
    out.resize(libdeflate_gzip_compress_bound(use, block.size()));
    out.resize(libdeflate_gzip_compress(use, block.data(), block.size(), out.data(), out.size()));
  }
};

int resolve_gzip_level(int level) {
  if (level == kDefaultLevel) return kDefaultGzipLevel;
  if (level < 0 || level > 12) {
    throw Error(ErrorKind::kUsage,
                "gzip compression level " + std::to_string(level) + " is out of range 0..12");
  }
  return level;
}

GzipBlockCompressor::GzipBlockCompressor(int level) : engine_(std::make_unique<Engine>()) {
  Engine& e = *engine_;
  e.level = resolve_gzip_level(level);
  if (e.level >= 1 && e.level <= kMaxIsalLevel) {
    e.isal_level_buf.resize(isal_level_buf_size(e.level));
    return;
  }
  e.deflater = alloc_libdeflate(e.level);
  if (e.level > 0) {  // only a deflating level needs the sampler and the stored fallback
    e.sampler = alloc_libdeflate(1);
    e.stored = alloc_libdeflate(0);
  }
}

GzipBlockCompressor::~GzipBlockCompressor() = default;

void GzipBlockCompressor::member(std::string_view block, std::string& out) {
  if (engine_->isal_level_buf.empty()) {
    engine_->libdeflate_member(block, out);
  } else {
    engine_->isal_member(block, out);
  }
}

bool gzip_block_is_incompressible(std::string_view block) {
  return samples_incompressible(alloc_libdeflate(1).get(), block);
}

}  // namespace mybuild::snapshot::internal
