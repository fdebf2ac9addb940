// PipelinedWriter: BufferedWriter's job (gather small writes into 1 MiB ones for `next`) with
// the writes to `next` on a thread of their own, so that whoever produces the bytes goes on
// while the last megabyte is written. A layer diff walks, opens and reads files on the
// caller's thread, while this thread writes the blob and the content store hashes it on a third
// (issue 17: before, the walk and the reads waited for every write, the COPY diff of 5,000 files
// was twice the `cp -a` of them).
//
//   PipelinedWriter out(blob);          // blob is used by out's thread until flush() returns
//   out.write(header); out.write(data);
//   out.flush();                        // everything is in blob, or its error is thrown here
//
// Memory: kBuffers of kBufferSize. A failure of `next` is thrown by the next write() or flush(),
// and every call after it throws it again; nothing more reaches `next` then. Not thread-safe
// (one producer). Without a thread to be had, it writes on the caller's thread, only slower.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "common/io.h"

namespace mybuild::common {

class PipelinedWriter : public Writer {
 public:
  static constexpr size_t kBufferSize = 1 << 20;
  static constexpr size_t kBuffers = 3;

  explicit PipelinedWriter(Writer& next) : next_(next) {}
  // Stops the thread; what was not flushed is dropped (the stream failed or was abandoned).
  ~PipelinedWriter() override;
  PipelinedWriter(const PipelinedWriter&) = delete;
  PipelinedWriter& operator=(const PipelinedWriter&) = delete;

  void write(std::string_view data) override;
  // Hands over what is buffered and waits until `next` has all of it; `next` is the caller's
  // again once it returns.
  void flush();

 private:
  struct Buffer {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  void hand_over();
  void rethrow_failure();
  void work();

  Writer& next_;
  std::array<Buffer, kBuffers> buffers_;
  size_t fill_ = 0;  // the buffer the producer fills (never one that is queued)
  std::mutex mu_;
  std::condition_variable cv_;
  size_t head_ = 0;    // the next buffer the thread writes
  size_t queued_ = 0;  // buffers handed over and not yet written
  bool stop_ = false;
  bool inline_ = false;  // no thread could be started
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace mybuild::common
