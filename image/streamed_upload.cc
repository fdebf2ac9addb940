#include "image/streamed_upload.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/error.h"
#include "common/log.h"
#include "common/trace.h"

namespace mybuild::image {

using common::Error;
using common::ErrorKind;

// The sending thread's view of the queue: blocks for bytes, 0 at the end, throws when aborted.
class StreamedUpload::QueueReader : public common::Reader {
 public:
  explicit QueueReader(StreamedUpload& up) : up_(up) {}
  size_t read(std::span<char> buf) override {
    std::unique_lock lock(up_.mu_);
    up_.cv_.wait(lock, [this] { return up_.aborted_ || up_.ended_ || !up_.queue_.empty(); });
    if (up_.aborted_) throw Error(ErrorKind::kCancelled, "the layer's conversion stopped");
    if (up_.queue_.empty()) return 0;
    std::string& front = up_.queue_.front();
    size_t n = std::min(buf.size(), front.size() - offset_);
    std::memcpy(buf.data(), front.data() + offset_, n);
    offset_ += n;
    if (offset_ == front.size()) {
      up_.queued_ -= front.size();
      up_.queue_.pop_front();
      offset_ = 0;
      up_.cv_.notify_all();
    }
    return n;
  }

 private:
  StreamedUpload& up_;
  size_t offset_ = 0;  // into queue_.front()
};

StreamedUpload::StreamedUpload(registry::Client& client, registry::Reference dest,
                               Uploaded on_uploaded)
    : client_(client),
      dest_(std::move(dest)),
      on_uploaded_(std::move(on_uploaded)),
      sender_([this] { send(); }) {}

StreamedUpload::~StreamedUpload() {
  {
    std::lock_guard lock(mu_);
    if (!ended_) aborted_ = true;
  }
  cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

void StreamedUpload::send() {
  common::TraceTrack track("upload (streamed)");
  common::TraceSpan span("push blob while compressing");
  QueueReader reader(*this);
  std::optional<common::Descriptor> sent;
  std::exception_ptr error;
  try {
    sent = client_.push_blob_stream(dest_, reader, [this] {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return aborted_ || stored_.has_value(); });
      if (aborted_) throw Error(ErrorKind::kCancelled, "the layer's conversion stopped");
      return stored_->digest;
    });
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard lock(mu_);
  sent_ = sent;
  error_ = error;
  failed_ = !sent;
  queue_.clear();
  queued_ = 0;
  cv_.notify_all();
}

void StreamedUpload::write(std::string_view data) {
  if (data.empty()) return;
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return failed_ || queued_ < kMaxQueued; });
  if (failed_) return;  // the push uploads the stored blob instead
  queue_.emplace_back(data);
  queued_ += data.size();
  cv_.notify_all();
}

void StreamedUpload::close(const common::Descriptor& blob) {
  {
    std::lock_guard lock(mu_);
    ended_ = true;
    stored_ = blob;
  }
  cv_.notify_all();
  sender_.join();
  if (error_) {
    try {
      std::rethrow_exception(error_);
    } catch (const std::exception& e) {
      common::log::warn(std::string(e.what()) + "; uploading " + blob.digest.str() +
                        " again from the local store");
    }
    return;
  }
  if (!sent_ || sent_->digest != blob.digest || sent_->size != blob.size) {
    common::log::warn("the streamed upload of " + blob.digest.str() +
                      " sent other bytes than the store holds; uploading it again");
    return;
  }
  if (on_uploaded_) on_uploaded_(blob);
}

}  // namespace mybuild::image
