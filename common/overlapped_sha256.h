// OverlappedSha256: a SHA-256 whose updates run on a worker thread while the caller goes on with
// the same bytes, usually writing them to a file. A content-store writer hashes and writes every
// byte of a layer; on two cores the hash then costs no wall time beside the write (issue 17: a
// 327 MB COPY layer hashed at ~1.5 GB/s is 0.2 s of one core, a 1 GiB RUN layer 0.7 s).
//
//   OverlappedSha256 h;
//   h.update_beside(chunk, [&] { file.write(chunk); });   // chunk copied, queued, written
//   Digest d = h.finish();                                // waits for the queue
//
// Big chunks are copied into a small ring of buffers (kSlots of kSlotSize: 4 MiB at most) that
// the worker drains in order, so the caller never waits for the hash of the chunk it just gave
// unless the ring is full: the hash (the slowest stage, one core at ~1.5 GB/s) never waits for
// the caller's next read either. The copy costs a memcpy, a fraction of the hash. Small chunks
// (headers, manifests) are hashed inline while no worker has started: a hand-over costs more
// than they do, and a writer that only ever sees small ones never starts the thread. Not
// thread-safe itself (one caller at a time), like Sha256.
#pragma once

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "common/digest.h"

namespace mybuild::common {

class OverlappedSha256 {
 public:
  // Chunks at least this big start the worker; once it runs, every chunk goes through it.
  static constexpr size_t kOverlapMin = 64 * 1024;
  static constexpr size_t kSlots = 4;
  static constexpr size_t kSlotSize = 1 << 20;

  OverlappedSha256() = default;
  ~OverlappedSha256();  // stops and joins the worker
  OverlappedSha256(const OverlappedSha256&) = delete;
  OverlappedSha256& operator=(const OverlappedSha256&) = delete;

  // Queues `data` for the hash (copied: it only has to live for the call) and runs `beside()`
  // on this thread meanwhile. An exception of beside() propagates; `data` is part of the hash
  // either way.
  template <typename Fn>
  void update_beside(std::string_view data, Fn&& beside) {
    update(data);
    beside();
  }
  void update(std::string_view data);

  uint64_t bytes() const { return bytes_; }
  // Waits for the queued chunks and ends the stream; no update afterwards.
  Digest finish();

 private:
  struct Slot {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  void enqueue(std::string_view piece);
  void drain();
  void work();

  Sha256 hash_;  // touched by the worker only while it runs
  uint64_t bytes_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::array<Slot, kSlots> slots_;
  size_t head_ = 0;    // next slot the worker hashes
  size_t queued_ = 0;  // slots waiting or being hashed
  bool stop_ = false;
  bool no_thread_ = false;  // the thread could not be started: hash inline
  std::thread worker_;      // started by the first big chunk
};

}  // namespace mybuild::common
