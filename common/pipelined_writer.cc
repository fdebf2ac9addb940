// The thread of PipelinedWriter (pipelined_writer.h).
#include "common/pipelined_writer.h"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <utility>

namespace mybuild::common {

PipelinedWriter::~PipelinedWriter() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void PipelinedWriter::write(std::string_view data) {
  rethrow_failure();
  while (!data.empty()) {
    Buffer& b = buffers_[fill_];
    if (!b.data) b.data = std::make_unique_for_overwrite<char[]>(kBufferSize);
    const size_t n = std::min(kBufferSize - b.size, data.size());
    std::memcpy(b.data.get() + b.size, data.data(), n);
    b.size += n;
    data.remove_prefix(n);
    if (b.size == kBufferSize) hand_over();
  }
}

void PipelinedWriter::flush() {
  Buffer& b = buffers_[fill_];
  if (b.size > 0 && !thread_.joinable()) {
    // All of it fitted one buffer (most layers): no thread for that.
    const size_t size = std::exchange(b.size, 0);
    next_.write({b.data.get(), size});
    return;
  }
  if (b.size > 0) hand_over();
  if (thread_.joinable()) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return queued_ == 0; });
  }
  rethrow_failure();
}

// Queues the filled buffer and moves on to a free one, waiting for one when all are queued.
void PipelinedWriter::hand_over() {
  Buffer& b = buffers_[fill_];
  if (!thread_.joinable() && !inline_) {
    try {
      thread_ = std::thread([this] { work(); });
    } catch (const std::system_error&) {
      inline_ = true;  // a process at its thread limit: write here
    }
  }
  if (inline_) {
    const size_t size = std::exchange(b.size, 0);
    next_.write({b.data.get(), size});
    return;
  }
  std::unique_lock lock(mu_);
  ++queued_;
  cv_.notify_all();
  fill_ = (fill_ + 1) % kBuffers;
  cv_.wait(lock, [this] { return queued_ < kBuffers || failure_; });
  lock.unlock();
  rethrow_failure();
}

void PipelinedWriter::rethrow_failure() {
  std::lock_guard lock(mu_);
  if (failure_) std::rethrow_exception(failure_);
}

void PipelinedWriter::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return queued_ > 0 || stop_; });
    if (stop_) return;
    Buffer& b = buffers_[head_];
    const bool failed = failure_ != nullptr;
    lock.unlock();
    std::exception_ptr failure;
    try {
      if (!failed) next_.write({b.data.get(), b.size});
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    if (failure) failure_ = failure;
    b.size = 0;
    head_ = (head_ + 1) % kBuffers;
    --queued_;
    cv_.notify_all();
  }
}

}  // namespace mybuild::common
