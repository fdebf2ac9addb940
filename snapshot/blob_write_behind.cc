// The thread of BlobWriteBehind (blob_write_behind.h).
#include "snapshot/blob_write_behind.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mybuild::snapshot {

BlobWriteBehind::BlobWriteBehind(int fd) : fd_(fd), thread_([this] { work(); }) {}

BlobWriteBehind::~BlobWriteBehind() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int BlobWriteBehind::written(uint64_t offset, std::string_view& call) {
  std::unique_lock lock(mu_);
  target_ = std::max(target_, offset);
  cv_.notify_all();
  cv_.wait(lock, [this] { return target_ - done_ <= kMaxBehind || err_ != 0; });
  call = err_call_;
  return err_;
}

int BlobWriteBehind::finish(std::string_view& call) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return done_ == target_ || err_ != 0; });
  call = err_call_;
  return err_;
}

void BlobWriteBehind::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || (err_ == 0 && target_ > done_); });
    if (stop_) return;
    const uint64_t from = done_;
    const uint64_t to = std::min(target_, from + kDropStep);
    lock.unlock();
    step(from, to);
    lock.lock();
    done_ = to;
    cv_.notify_all();
  }
}

// Runs unlocked; records a failure under the lock.
void BlobWriteBehind::step(uint64_t from, uint64_t to) {
  const auto off = static_cast<off64_t>(from);
  const auto len = static_cast<off64_t>(to - from);
  std::string_view failed;
  int err = 0;
  if (::sync_file_range(
          fd_, off, len,
          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0) {
    failed = "sync_file_range";
    err = errno;
  } else {
    if (to > kKeepCached) {  // a hint; the pages are clean
      const uint64_t drop = std::max(from, kKeepCached);
      (void)::posix_fadvise(fd_, static_cast<off64_t>(drop), static_cast<off64_t>(to - drop),
                            POSIX_FADV_DONTNEED);
    }
    if (to - flushed_ >= kFlushStep) {
      if (::fdatasync(fd_) != 0) {
        failed = "fdatasync";
        err = errno;
      }
      flushed_ = to;
    }
  }
  if (err == 0) return;
  std::lock_guard lock(mu_);
  err_ = err;
  err_call_ = failed;
}

}  // namespace mybuild::snapshot
