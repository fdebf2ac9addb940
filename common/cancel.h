// CancelToken: a shared flag that says "stop". Set from a signal handler thread, the CLI or a
// failing sibling worker; checked by long operations between units of work. Thread-safe.
#pragma once

#include <atomic>
#include <string>

#include "common/error.h"

namespace mybuild::common {

class CancelToken {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_release); }
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // Throws Error(kCancelled) when cancelled.
  void check(const std::string& what = "operation") const {
    if (cancelled()) throw Error(ErrorKind::kCancelled, what + " cancelled");
  }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace mybuild::common
