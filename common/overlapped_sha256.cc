// The worker of OverlappedSha256 (overlapped_sha256.h).
#include "common/overlapped_sha256.h"

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

void OverlappedSha256::start(std::string_view data) {
  {
    std::lock_guard lock(mu_);
    job_ = data;
    has_job_ = true;
  }
  if (worker_.joinable()) {
    cv_.notify_all();
    return;
  }
  try {
    worker_ = std::thread([this] { work(); });
  } catch (const std::system_error&) {
    // No thread to be had (a process at its limit): hash here, only slower.
    hash_.update(data);
    std::lock_guard lock(mu_);
    has_job_ = false;
  }
}

void OverlappedSha256::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return !has_job_; });
}

// Sha256::update cannot fail (OpenSSL's update only fails on a misused context), so the worker
// has no error to hand back.
void OverlappedSha256::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return has_job_ || stop_; });
    if (!has_job_) return;  // stop_ and nothing left
    const std::string_view data = job_;
    lock.unlock();
    hash_.update(data);
    lock.lock();
    has_job_ = false;
    cv_.notify_all();
  }
}

}  // namespace mybuild::common
