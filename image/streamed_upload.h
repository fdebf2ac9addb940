// A layer's compressed bytes sent to the registry while the converter still writes them
// (issue 17: a cold push compressed the whole layer, then uploaded it; now the two overlap).
//
//   auto up = std::make_unique<StreamedUpload>(client, dest, on_uploaded);  // POST, then PATCH
//   compressor writes -> content store and *up                            // as bytes come
//   up->close(committed_blob);  // ends the PATCH, PUTs ?digest=, joins; on_uploaded(blob) if sent
//
// The bytes pass through a bounded queue (kMaxQueued) to one sending thread; the writer waits
// when the registry is slower. They are not hashed again here: the closing PUT names the digest
// the content store computed (close()), and the registry checks it. A failed upload never fails the
// conversion: the writes after it are dropped, close() warns (no on_uploaded), and the push uploads
// the blob from the store as before. Dropped without close() (the conversion failed), the upload is
// aborted and joined.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/descriptor.h"
#include "common/io.h"
#include "image/layer_convert.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace mybuild::image {

class StreamedUpload : public LayerTap {
 public:
  static constexpr size_t kMaxQueued = 8 << 20;

  using Uploaded = std::function<void(const common::Descriptor&)>;
  StreamedUpload(registry::Client& client, registry::Reference dest, Uploaded on_uploaded);
  ~StreamedUpload() override;
  StreamedUpload(const StreamedUpload&) = delete;
  StreamedUpload& operator=(const StreamedUpload&) = delete;

  void write(std::string_view data) override;
  // Ends the stream and waits for the registry's answer; calls on_uploaded(blob) when the
  // registry has it (what was sent had its digest and size).
  void close(const common::Descriptor& blob) override;

 private:
  class QueueReader;
  void send();

  registry::Client& client_;
  registry::Reference dest_;
  Uploaded on_uploaded_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t queued_ = 0;
  bool ended_ = false;    // no more writes: the reader sees the end
  bool aborted_ = false;  // the reader throws: the PATCH is cancelled
  bool failed_ = false;   // the sender stopped; writes are dropped
  std::exception_ptr error_;
  std::optional<common::Descriptor> sent_;
  std::optional<common::Descriptor> stored_;  // what close() was given: the PUT's digest
  std::thread sender_;                        // last: started after the rest exists
};

}  // namespace mybuild::image
