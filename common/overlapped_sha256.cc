// The worker of OverlappedSha256 (overlapped_sha256.h).
#include "common/overlapped_sha256.h"

#include <algorithm>
#include <cstring>
#include <system_error>

namespace mybuild::common {

OverlappedSha256::~OverlappedSha256() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void OverlappedSha256::update(std::string_view data) {
  bytes_ += data.size();
  if (!worker_.joinable() && (data.size() < kOverlapMin || no_thread_)) {
    hash_.update(data);
    return;
  }
  if (!worker_.joinable()) {
    try {
      worker_ = std::thread([this] { work(); });
    } catch (const std::system_error&) {
      // No thread to be had (a process at its limit): hash here, only slower.
      no_thread_ = true;
      hash_.update(data);
      return;
    }
  }
  while (!data.empty()) {
    size_t n = std::min(data.size(), kSlotSize);
    enqueue(data.substr(0, n));
    data.remove_prefix(n);
  }
}

void OverlappedSha256::enqueue(std::string_view piece) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queued_ < kSlots; });
  Slot& slot = slots_[(head_ + queued_) % kSlots];
  lock.unlock();
  // The slot is free (the worker only reads slots [head_, head_ + queued_)): copy unlocked.
  if (!slot.data) slot.data = std::make_unique_for_overwrite<char[]>(kSlotSize);
  std::memcpy(slot.data.get(), piece.data(), piece.size());
  slot.size = piece.size();
  lock.lock();
  ++queued_;
  cv_.notify_all();
}

void OverlappedSha256::drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return queued_ == 0; });
}

Digest OverlappedSha256::finish() {
  if (worker_.joinable()) drain();
  return hash_.finish();
}

// Sha256::update cannot fail (OpenSSL's update only fails on a misused context), so the worker
// has no error to hand back.
void OverlappedSha256::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return queued_ > 0 || stop_; });
    if (queued_ == 0) return;  // stop_ and nothing left
    const Slot& slot = slots_[head_];
    lock.unlock();
    hash_.update({slot.data.get(), slot.size});
    lock.lock();
    head_ = (head_ + 1) % kSlots;
    --queued_;
    cv_.notify_all();
  }
}

}  // namespace mybuild::common
