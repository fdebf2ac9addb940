// zstd through libzstd's own worker threads. libzstd's output is identical for every
// nbWorkers >= 1 (zstd.h, ZSTD_c_nbWorkers), but differs from single-threaded mode, so we
// always ask for at least one worker: the digest never depends on the machine.
#include <zstd.h>

#include <string>
#include <vector>

#include "common/error.h"
#include "snapshot/compression_internal.h"

namespace mybuild::snapshot::internal {
namespace {

using common::Error;
using common::ErrorKind;

constexpr int kSmallJobMaxLevel = 6;
constexpr int kSmallJobBytes = 4 << 20;

class ZstdCompressor : public Compressor {
 public:
  ZstdCompressor(common::Writer& out, int level, int threads)
      : out_(out), ctx_(ZSTD_createCCtx()), buf_(ZSTD_CStreamOutSize()) {
    if (ctx_ == nullptr) throw Error(ErrorKind::kResource, "ZSTD_createCCtx: out of memory");
    if (level == kDefaultLevel) level = 3;
    if (level < 1 || level > ZSTD_maxCLevel()) {
      ZSTD_freeCCtx(ctx_);
      throw Error(ErrorKind::kUsage, "zstd compression level " + std::to_string(level) +
                                         " is out of range 1.." + std::to_string(ZSTD_maxCLevel()));
    }
    check(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_compressionLevel, level), "level");
    check(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_nbWorkers, std::max(threads, 1)), "nbWorkers");
    check(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_checksumFlag, 1), "checksum");
    // At the fast levels libzstd sizes a worker's job at 4 windows (8 MiB at level 3) and keeps
    // several jobs' input and output in flight: about 70 MiB with two workers. 4 MiB jobs keep
    // the whole layer writer under issue 4's 64 MiB at the same speed and a ratio within 0.1%.
    // The job size is part of the output, so it is fixed here, never derived from the machine.
    if (level <= kSmallJobMaxLevel) {
      check(ZSTD_CCtx_setParameter(ctx_, ZSTD_c_jobSize, kSmallJobBytes), "jobSize");
    }
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(ctx_); }
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  void write(std::string_view data) override {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (in.pos < in.size) step(in, ZSTD_e_continue);
  }

  void finish() override {
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (step(in, ZSTD_e_end) != 0) {
    }
  }

 private:
  size_t step(ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{buf_.data(), buf_.size(), 0};
    size_t left = ZSTD_compressStream2(ctx_, &out, &in, mode);
    check(left, "compressing");
    if (out.pos > 0) out_.write({buf_.data(), out.pos});
    return left;
  }

  static void check(size_t code, const char* what) {
    if (ZSTD_isError(code)) {
      throw Error(ErrorKind::kResource,
                  std::string("zstd ") + what + ": " + ZSTD_getErrorName(code));
    }
  }

  common::Writer& out_;
  ZSTD_CCtx* ctx_;
  std::vector<char> buf_;
};

}  // namespace

std::unique_ptr<Compressor> make_zstd_compressor(common::Writer& out, int level, int threads) {
  return std::make_unique<ZstdCompressor>(out, level, threads);
}

}  // namespace mybuild::snapshot::internal
