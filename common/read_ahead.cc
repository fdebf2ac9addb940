#include "common/read_ahead.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace mybuild::common {

ReadAhead::ReadAhead(Reader& source) : source_(source), worker_([this] { run(); }) {}

ReadAhead::~ReadAhead() { finish(); }

void ReadAhead::finish() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool ReadAhead::fill(std::vector<char>& chunk) {
  chunk.resize(kChunk);
  const size_t used = read_up_to(source_, chunk);
  chunk.resize(used);
  return used == kChunk;
}

void ReadAhead::run() {
  for (;;) {
    std::vector<char> chunk;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [this] { return stopping_ || ready_.size() < kDepth; });
      if (stopping_) return;
      if (!spare_.empty()) {
        chunk = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    bool more = false;
    std::exception_ptr failed;
    try {
      more = fill(chunk);
    } catch (...) {
      failed = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      if (failed) {
        error_ = failed;
      } else {
        if (!chunk.empty()) ready_.push_back(std::move(chunk));
        ended_ = !more;
      }
    }
    changed_.notify_all();
    if (failed || !more) return;
  }
}

size_t ReadAhead::read(std::span<char> buf) {
  if (buf.empty()) return 0;
  if (offset_ == current_.size()) {
    std::unique_lock lock(mu_);
    if (!current_.empty()) spare_.push_back(std::move(current_));
    current_.clear();
    offset_ = 0;
    changed_.wait(lock, [this] { return !ready_.empty() || ended_ || error_; });
    if (ready_.empty()) {
      if (error_) std::rethrow_exception(error_);
      return 0;  // ended
    }
    current_ = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();  // a slot is free for the worker
  }
  const size_t n = std::min(buf.size(), current_.size() - offset_);
  std::memcpy(buf.data(), current_.data() + offset_, n);
  offset_ += n;
  return n;
}

}  // namespace mybuild::common
