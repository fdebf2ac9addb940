#include "image/early_uploads.h"

#include <algorithm>
#include <string>
#include <utility>

#include "image/streamed_upload.h"

namespace mybuild::image {

EarlyUploads::EarlyUploads(const snapshot::ContentStore& content, registry::Client& client,
                           registry::Reference dest)
    : content_(content), client_(client), dest_(std::move(dest)), worker_([this] { run(); }) {}

EarlyUploads::~EarlyUploads() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void EarlyUploads::add(const common::Descriptor& blob) {
  {
    std::lock_guard lock(mu_);
    if (error_) return;                        // finish() reports it; the push stops there
    if (uploaded_.count(blob.digest)) return;  // streamed while it was compressed
    queue_.push_back(blob);
  }
  cv_.notify_all();
}

OpenLayerTap EarlyUploads::tap() {
  return [this]() -> std::unique_ptr<LayerTap> {
    return std::make_unique<StreamedUpload>(client_, dest_, [this](const common::Descriptor& d) {
      std::lock_guard lock(mu_);
      uploaded_[d.digest] = d.size;
    });
  };
}

void EarlyUploads::finish() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return (queue_.empty() && !busy_) || error_; });
  if (error_) std::rethrow_exception(error_);
}

void EarlyUploads::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_ || error_) return;
    common::Descriptor blob = queue_.front();
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::exception_ptr failed;
    registry::PushOutcome outcome = registry::PushOutcome::kExisted;
    try {
      outcome = client_.push_blob(dest_, blob, [&] { return content_.open(blob.digest); });
    } catch (...) {
      failed = std::current_exception();
    }
    lock.lock();
    busy_ = false;
    if (failed) {
      error_ = failed;
      queue_.clear();
    } else if (outcome == registry::PushOutcome::kUploaded) {
      uploaded_[blob.digest] = blob.size;
    }
    cv_.notify_all();
  }
}

PushLog EarlyUploads::relabel(const PushLog& log) const {
  if (!log) return log;
  return [this, log](std::string_view line) {
    std::lock_guard lock(mu_);
    for (const auto& [digest, size] : uploaded_) {
      if (line == digest.short_hex() + ": Layer already exists") {
        log(digest.short_hex() + ": Pushed (" + push_size_text(size) + ")");
        return;
      }
    }
    log(line);
  };
}

void EarlyUploads::account(PushReport& report) const {
  std::lock_guard lock(mu_);
  const int n = static_cast<int>(uploaded_.size());
  report.blobs_uploaded += n;
  report.blobs_existed -= std::min(report.blobs_existed, n);
  for (const auto& [digest, size] : uploaded_) report.bytes_uploaded += size;
}

}  // namespace mybuild::image
