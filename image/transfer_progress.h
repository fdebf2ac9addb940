// Byte progress of blob transfers (a pull's layers, a push's blobs), for progress renderers
// that show it (BuildKit's VertexStatus in `--progress rawjson`). The counting wrappers report
// at most every kTransferReportInterval while bytes flow, and the callers report each blob's
// end (completed) themselves, so a renderer sees a final `current == total`.
//
// Thread-safety: transfers run on worker threads, several at once; a TransferProgress may be
// called concurrently for different blobs and must serialise what it shares.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/descriptor.h"
#include "common/io.h"

namespace mybuild::image {

// `current` bytes of `blob` moved so far; `completed` once the blob is done (verified and
// stored for a pull; uploaded, mounted or found present for a push).
using TransferProgress =
    std::function<void(const common::Descriptor& blob, int64_t current, bool completed)>;

inline constexpr std::chrono::milliseconds kTransferReportInterval{100};

// The running count of one blob's bytes and when it was last reported: the state the counting
// reader and writer below share. Reports the first bytes, then at most once per interval.
class TransferCounter {
 public:
  TransferCounter(common::Descriptor blob, const TransferProgress& progress)
      : blob_(std::move(blob)), progress_(progress) {}
  void add(size_t n);
  int64_t count() const { return count_; }

 private:
  common::Descriptor blob_;
  const TransferProgress& progress_;
  int64_t count_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
};

// Passes writes on to `inner`, reporting the running count. A resumed fetch (Range) keeps
// writing to the same sink, so the count stays the blob's offset.
class CountingWriter : public common::Writer {
 public:
  CountingWriter(std::unique_ptr<common::Writer> inner, common::Descriptor blob,
                 const TransferProgress& progress)
      : inner_(std::move(inner)), counter_(std::move(blob), progress) {}
  void write(std::string_view data) override;
  common::Writer& inner() { return *inner_; }
  int64_t count() const { return counter_.count(); }

 private:
  std::unique_ptr<common::Writer> inner_;
  TransferCounter counter_;
};

// The same for reads (an upload's source); each retry opens a new one, counting from 0.
class CountingReader : public common::Reader {
 public:
  CountingReader(std::unique_ptr<common::Reader> inner, common::Descriptor blob,
                 const TransferProgress& progress)
      : inner_(std::move(inner)), counter_(std::move(blob), progress) {}
  size_t read(std::span<char> buf) override;

 private:
  std::unique_ptr<common::Reader> inner_;
  TransferCounter counter_;
};

}  // namespace mybuild::image
