// BlobWriteBehind: drop-behind for a blob being written, on a thread of its own (issue 17).
//
// The content writer starts the writeback of every 8 MiB it writes (sync_file_range WRITE) and
// tells this thread how far it got. The thread waits until those pages are on the disk, drops
// them from the page cache (POSIX_FADV_DONTNEED: a blob is read again only by a push or an
// unpack) and starts an fdatasync every kFlushStep, so that a disk (or a VM's host) with a
// write cache empties it as the blob grows and commit's fsync waits for the tail only.
//
// Why drop: without it every byte of a large blob went into a page never used before, and in
// this VM (and under any memory balloon that hands free pages back to the host) touching fresh
// memory made writing a 1 GiB layer 3-4 s instead of about one (perf: copy_folio_from_iter_atomic,
// 61% of samples); the pages it frees are the ones the next megabytes reuse. It also keeps a big
// layer from flooding the cache with dirty pages other processes then pay for. Why a thread:
// the writer never waits for the disk (a COPY's diff runs beside the unmount's syncfs of the
// same disk) unless the thread is kMaxBehind behind, which bounds the cache a slow disk fills.
//
// The first kKeepCached bytes stay in the cache all the same: a push or an unpack often reads a
// layer right after it was written (bench/push: a 304 MiB COPY layer read back from the disk
// made the push 0.5 s slower), and the fresh pages they cost are the blob's own.
//
// A write error seen by the thread is returned by the next written() or finish(): the kernel
// reports it once per open file, so commit's fsync would not see it again.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>

namespace mybuild::snapshot {

class BlobWriteBehind {
 public:
  static constexpr uint64_t kDropStep = 32 << 20;     // waited for and dropped at a time
  static constexpr uint64_t kFlushStep = 128 << 20;   // an fdatasync after this much more
  static constexpr uint64_t kMaxBehind = 256 << 20;   // the writer waits past this
  static constexpr uint64_t kKeepCached = 384 << 20;  // not dropped: read again soon

  // Starts the thread (std::system_error when there is none to be had); `fd` must stay open
  // until the object is gone.
  explicit BlobWriteBehind(int fd);
  ~BlobWriteBehind();  // stops after the step in hand; what is left stays to commit's fsync
  BlobWriteBehind(const BlobWriteBehind&) = delete;
  BlobWriteBehind& operator=(const BlobWriteBehind&) = delete;

  // Writeback of every byte before `offset` has been started. Returns the errno of a failure
  // so far (0: none); `call` names the call that failed.
  int written(uint64_t offset, std::string_view& call);
  // Waits until the thread has done everything written() gave it; returns as written() does.
  int finish(std::string_view& call);

 private:
  void work();
  void step(uint64_t from, uint64_t to);

  const int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t target_ = 0;   // written() so far
  uint64_t done_ = 0;     // on the disk and dropped up to here
  uint64_t flushed_ = 0;  // the last fdatasync covered this much
  int err_ = 0;
  std::string_view err_call_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is set up
};

}  // namespace mybuild::snapshot
