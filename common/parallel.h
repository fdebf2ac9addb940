// parallel_for: the one way mybuild spreads independent jobs over threads (context hashing,
// COPY's file copies). Header-only: the job is a template parameter.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace mybuild::common {

// Runs fn(i) for i in [0, n) on up to `threads` threads (the caller's among them); the first
// exception stops the jobs not yet started and is rethrown here once all threads are done
// (STYLE.md §3, worker threads).
template <typename Fn>
void parallel_for(size_t n, unsigned threads, Fn fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mu;
  auto work = [&] {
    for (size_t i; !failed.load() && (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(error_mu);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  };
  const unsigned count = static_cast<unsigned>(std::min<size_t>(std::max(1u, threads), n));
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < count; ++t) pool.emplace_back(work);
    work();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace mybuild::common
