// OverlappedSha256: a SHA-256 whose updates run on a worker thread while the caller does
// something else with the same bytes, usually writing them to a file. A content-store writer
// hashes and writes every byte of a layer; on two cores the hash then costs no wall time beside
// the write (issue 17: a 327 MB COPY layer hashed at ~1.5 GB/s is 0.2 s of one core).
//
//   OverlappedSha256 h;
//   h.update_beside(chunk, [&] { file.write(chunk); });   // both done when it returns
//   Digest d = h.finish();
//
// Small chunks (headers, manifests) are hashed inline: a hand-over costs more than they do, and
// a writer that only ever sees small ones never starts the thread. Not thread-safe itself (one
// caller at a time), like Sha256.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string_view>
#include <thread>

#include "common/digest.h"

namespace mybuild::common {

class OverlappedSha256 {
 public:
  // Chunks at least this big go to the worker.
  static constexpr size_t kOverlapMin = 64 * 1024;

  OverlappedSha256() = default;
  ~OverlappedSha256();  // stops and joins the worker
  OverlappedSha256(const OverlappedSha256&) = delete;
  OverlappedSha256& operator=(const OverlappedSha256&) = delete;

  // Hashes `data` while running `beside()` on this thread; returns once both are done, so
  // `data` only has to live for the call. An exception of beside() is rethrown after the hash
  // of `data` has finished (the hash then includes `data`).
  template <typename Fn>
  void update_beside(std::string_view data, Fn&& beside) {
    if (data.size() < kOverlapMin) {
      hash_.update(data);
      beside();
      return;
    }
    start(data);
    try {
      beside();
    } catch (...) {
      wait();
      throw;
    }
    wait();
  }
  void update(std::string_view data) {
    update_beside(data, [] {});
  }

  uint64_t bytes() const { return hash_.bytes(); }
  // Ends the stream; no update afterwards.
  Digest finish() { return hash_.finish(); }

 private:
  void start(std::string_view data);
  void wait();
  void work();

  Sha256 hash_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string_view job_;
  bool has_job_ = false;
  bool stop_ = false;
  std::thread worker_;  // started by the first big chunk
};

}  // namespace mybuild::common
