#include "snapshot/compression.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "common/copy_buffer.h"
#include "common/error.h"
#include "common/media_types.h"
#include "snapshot/archive_filters.h"
#include "snapshot/compression_internal.h"
#include "snapshot/gzip_inflate.h"

namespace mybuild::snapshot {

using common::Error;
using common::ErrorKind;
namespace mt = common::media_type;

Compression parse_compression(std::string_view name) {
  if (name == "gzip") return Compression::kGzip;
  if (name == "zstd") return Compression::kZstd;
  if (name == "none" || name == "uncompressed") return Compression::kNone;
  throw Error(ErrorKind::kUsage,
              "unknown compression \"" + std::string(name) + "\" (want gzip, zstd or none)");
}

std::string_view to_string(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return "gzip";
    case Compression::kZstd:
      return "zstd";
    case Compression::kNone:
      break;
  }
  return "none";
}

std::string_view layer_media_type(Compression c) {
  switch (c) {
    case Compression::kGzip:
      return mt::kOciLayerGzip;
    case Compression::kZstd:
      return mt::kOciLayerZstd;
    case Compression::kNone:
      break;
  }
  return mt::kOciLayer;
}

std::optional<Compression> compression_of_media_type(std::string_view media_type) {
  if (media_type == mt::kOciLayerGzip || media_type == mt::kDockerLayerGzip ||
      media_type == mt::kDockerLayerForeign) {
    return Compression::kGzip;
  }
  if (media_type == mt::kOciLayerZstd) return Compression::kZstd;
  if (media_type == mt::kOciLayer || media_type == "application/vnd.docker.image.rootfs.diff.tar") {
    return Compression::kNone;
  }
  return std::nullopt;
}

namespace {

class PassThrough : public Compressor {
 public:
  explicit PassThrough(common::Writer& out) : out_(out) {}
  void write(std::string_view data) override { out_.write(data); }
  void finish() override {}

 private:
  common::Writer& out_;
};

int worker_count(int threads) {
  if (threads > 0) return threads;
  // Two is what pigz -p 2 uses and what the shared CI machine has.
  return std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, 2);
}

// Decompression goes through libarchive's "raw" format: it detects gzip (including
// concatenated members), zstd and plain input by their magic bytes.
class DecompressingReader : public common::Reader {
 public:
  explicit DecompressingReader(common::Reader& in) : in_(in) {
    a_ = archive_read_new();
    if (a_ == nullptr) throw Error(ErrorKind::kResource, "archive_read_new: out of memory");
    // A constructor that throws gets no destructor call: free the archive here (a stream that
    // failed to open leaked it, found by fuzz/snapshot_layer_fuzz.cc).
    try {
      open();
    } catch (...) {
      archive_read_free(a_);
      throw;
    }
  }
  ~DecompressingReader() override { archive_read_free(a_); }
  DecompressingReader(const DecompressingReader&) = delete;
  DecompressingReader& operator=(const DecompressingReader&) = delete;

  size_t read(std::span<char> buf) override {
    if (eof_) return 0;
    la_ssize_t n = archive_read_data(a_, buf.data(), buf.size());
    if (n < 0) fail("decompressing");
    if (n == 0) eof_ = true;
    return static_cast<size_t>(n);
  }

 private:
  void open() {
    support_layer_filters(a_);
    archive_read_support_format_raw(a_);
    archive_read_support_format_empty(a_);  // a zero-length stream is valid too
    if (archive_read_open(a_, this, nullptr, &DecompressingReader::on_read, nullptr) !=
        ARCHIVE_OK) {
      fail("opening compressed stream");
    }
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(a_, &entry);
    if (r == ARCHIVE_EOF) {
      eof_ = true;
    } else if (r != ARCHIVE_OK) {
      fail("reading compressed stream");
    }
  }
  static la_ssize_t on_read(archive*, void* self_ptr, const void** out) {
    auto* self = static_cast<DecompressingReader*>(self_ptr);
    try {
      size_t n = self->in_.read(self->buf_.span());
      *out = self->buf_.data();
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      self->error_ = std::current_exception();
      return -1;
    }
  }

  [[noreturn]] void fail(const std::string& what) {
    if (error_) std::rethrow_exception(error_);
    const char* msg = archive_error_string(a_);
    throw Error(ErrorKind::kIntegrity, what + ": " + (msg != nullptr ? msg : "corrupt data"));
  }

  common::Reader& in_;
  common::CopyBuffer buf_{common::kDecodeBufferSize};
  archive* a_ = nullptr;
  std::exception_ptr error_;
  bool eof_ = false;
};

}  // namespace

std::unique_ptr<Compressor> make_compressor(Compression c, common::Writer& out, int level,
                                            int threads) {
  switch (c) {
    case Compression::kGzip:
      return internal::make_gzip_compressor(out, level, worker_count(threads));
    case Compression::kZstd:
      return internal::make_zstd_compressor(out, level, worker_count(threads));
    case Compression::kNone:
      break;
  }
  return std::make_unique<PassThrough>(out);
}

namespace {

// `head`, then the rest of `in`: libarchive detects the format from bytes open_decompressed
// already took for its own check.
class AfterPeek : public common::Reader {
 public:
  AfterPeek(std::string head, common::Reader& in) : head_(std::move(head)), in_(in) {}
  size_t read(std::span<char> buf) override {
    if (offset_ == head_.size()) return in_.read(buf);
    const size_t n = std::min(buf.size(), head_.size() - offset_);
    std::memcpy(buf.data(), head_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  std::string head_;
  size_t offset_ = 0;
  common::Reader& in_;
};

// libarchive's reader, over a peek and the rest of the input (zstd, plain, empty).
class PeekedDecompressingReader : public common::Reader {
 public:
  PeekedDecompressingReader(std::string head, common::Reader& in)
      : rest_(std::move(head), in), inner_(rest_) {}
  size_t read(std::span<char> buf) override { return inner_.read(buf); }

 private:
  AfterPeek rest_;
  DecompressingReader inner_;
};

}  // namespace

std::unique_ptr<common::Reader> open_decompressed(common::Reader& in) {
  // gzip, the common layer format, goes through ISA-L (twice zlib's speed, gzip_inflate.h);
  // the rest through libarchive.
  std::string head(2, '\0');
  head.resize(common::read_up_to(in, head));
  if (starts_like_gzip(head)) return std::make_unique<GzipInflateReader>(in, std::move(head));
  return std::make_unique<PeekedDecompressingReader>(std::move(head), in);
}

common::Digest recompress(common::Reader& in, Compression to, common::Writer& out, int level) {
  auto plain = open_decompressed(in);
  auto compressor = make_compressor(to, out, level);
  common::DigestingWriter hashed(*compressor);
  common::copy_stream(*plain, hashed);
  compressor->finish();
  return hashed.finish();
}

}  // namespace mybuild::snapshot
